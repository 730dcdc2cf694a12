import RealModule

/// Hann-windowed magnitude spectra of one fixed size, with buffers allocated once.
public final class MagnitudeSpectrum {
    /// Transform size in samples.
    public let size: Int
    /// Sample rate of the input.
    public let sampleRate: Double
    /// Magnitudes of bins 0...size/2, normalised so a full-scale sine peaks near 1.
    public private(set) var magnitudes: [Float]

    private let fft: any RealFFT
    private let window: [Float]
    private var windowed: [Float]
    private var re: [Float]
    private var im: [Float]
    private let normalisation: Float

    /// Creates an analyser of `size` samples (a power of two).
    public init(size: Int, sampleRate: Double, fftProvider: any FFTProvider) {
        self.size = size
        self.sampleRate = sampleRate
        fft = fftProvider.makeRealFFT(size: size)
        window = (0..<size).map { Float(0.5 - 0.5 * Double.cos(2 * Double.pi * Double($0) / Double(size))) }
        windowed = [Float](repeating: 0, count: size)
        re = [Float](repeating: 0, count: size / 2 + 1)
        im = [Float](repeating: 0, count: size / 2 + 1)
        magnitudes = [Float](repeating: 0, count: size / 2 + 1)
        // A Hann-windowed sine of amplitude A has a peak bin of about A * size / 4.
        normalisation = 4 / Float(size)
    }

    /// Frequency in hertz of a bin.
    public func frequency(ofBin bin: Double) -> Double { bin * sampleRate / Double(size) }

    /// Analyses `samples`; fewer than `size` samples are zero-padded at the end.
    public func analyse(_ samples: UnsafeBufferPointer<Float>) {
        let count = min(samples.count, size)
        for i in 0..<size { windowed[i] = i < count ? samples[i] * window[i] : 0 }
        fft.forward(windowed, real: &re, imaginary: &im)
        for bin in 0..<magnitudes.count {
            magnitudes[bin] = (re[bin] * re[bin] + im[bin] * im[bin]).squareRoot() * normalisation
        }
    }

    /// Analyses two pieces of a circular buffer as one contiguous window (older piece first).
    public func analyse(_ first: UnsafeBufferPointer<Float>, _ second: UnsafeBufferPointer<Float>) {
        let firstCount = min(first.count, size)
        for i in 0..<size {
            let sample: Float
            if i < firstCount {
                sample = first[i]
            } else if i - firstCount < second.count {
                sample = second[i - firstCount]
            } else {
                sample = 0
            }
            windowed[i] = sample * window[i]
        }
        fft.forward(windowed, real: &re, imaginary: &im)
        for bin in 0..<magnitudes.count {
            magnitudes[bin] = (re[bin] * re[bin] + im[bin] * im[bin]).squareRoot() * normalisation
        }
    }

    /// Spectral centroid in hertz of the last analysis (0 for silence).
    public func centroid() -> Double {
        var weighted = 0.0
        var total = 0.0
        for bin in 1..<magnitudes.count {
            weighted += Double(magnitudes[bin]) * Double(bin)
            total += Double(magnitudes[bin])
        }
        return total > 1e-9 ? frequency(ofBin: weighted / total) : 0
    }
}
