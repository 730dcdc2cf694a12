import RealModule

/// The pitch-class profile of a whole stretch of audio: the frame chroma of `ChromaExtractor` summed over
/// half-overlapping Hann frames, each weighted by the frame's RMS amplitude, then L2-normalised.
///
/// Frames more than `gateDB` below the loudest frame are left out, so silence and reverb tails do not blur
/// the profile, and the result does not change when the whole recording is made louder or quieter. The frames
/// ignore the onset detector, so the profile does not depend on which events the listener found.
public struct ChromaProfile: Sendable {
    /// Frames quieter than the loudest by more than this (dB) are left out.
    public var gateDB = -60.0
    /// Frame length in seconds (rounded up to a power of two of samples).
    public var frameSeconds = 0.1

    /// Creates a profile builder with the defaults.
    public init() {}

    /// The L2-normalised 12-value profile (C first) of `samples` at `sampleRate`; all zeros when nothing
    /// pitched sounds.
    public func profile(of samples: [Float], sampleRate: Double, fftProvider: any FFTProvider) -> [Float] {
        var size = 256
        while Double(size) < frameSeconds * sampleRate { size <<= 1 }
        let hop = size / 2
        let starts = Array(stride(from: 0, to: max(samples.count, 1), by: hop))
        let levels = starts.map { start -> Double in
            let end = min(samples.count, start + size)
            guard end > start else { return 0 }
            var sum = 0.0
            for i in start..<end { sum += Double(samples[i]) * Double(samples[i]) }
            return (sum / Double(size)).squareRoot()
        }
        let loudest = levels.max() ?? 0
        guard loudest > 0 else { return [Float](repeating: 0, count: 12) }
        let gate = loudest * Double.exp10(gateDB / 20)

        let spectrum = MagnitudeSpectrum(size: size, sampleRate: sampleRate, fftProvider: fftProvider)
        var extractor = ChromaExtractor()
        var total = [Double](repeating: 0, count: 12)
        samples.withUnsafeBufferPointer { buffer in
            for (start, level) in zip(starts, levels) where level > gate {
                spectrum.analyse(UnsafeBufferPointer(rebasing: buffer[start..<min(buffer.count, start + size)]))
                let chroma = extractor.chroma(magnitudes: spectrum.magnitudes, fftSize: size, sampleRate: sampleRate)
                for pitchClass in 0..<12 { total[pitchClass] += level * Double(chroma[pitchClass]) }
            }
        }
        let norm = total.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return [Float](repeating: 0, count: 12) }
        return total.map { Float($0 / norm) }
    }
}
