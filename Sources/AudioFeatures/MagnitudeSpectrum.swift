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
        analyse(samples, UnsafeBufferPointer(start: nil, count: 0))
    }

    /// Analyses two pieces of a circular buffer as one contiguous window (older piece first); a window longer
    /// than both pieces together is zero-padded at the end.
    public func analyse(_ first: UnsafeBufferPointer<Float>, _ second: UnsafeBufferPointer<Float>) {
        let size = self.size
        let firstCount = min(first.count, size)
        let secondCount = min(second.count, size - firstCount)
        // Local buffer pointers: one exclusivity check per call instead of one per sample.
        window.withUnsafeBufferPointer { window in
            windowed.withUnsafeMutableBufferPointer { windowed in
                for i in 0..<firstCount { windowed[i] = first[i] * window[i] }
                for i in 0..<secondCount { windowed[firstCount + i] = second[i] * window[firstCount + i] }
                for i in (firstCount + secondCount)..<size { windowed[i] = 0 }
            }
        }
        fft.forward(windowed, real: &re, imaginary: &im)
        let scale = normalisation
        re.withUnsafeBufferPointer { re in
            im.withUnsafeBufferPointer { im in
                magnitudes.withUnsafeMutableBufferPointer { magnitudes in
                    for bin in 0..<magnitudes.count {
                        magnitudes[bin] = (re[bin] * re[bin] + im[bin] * im[bin]).squareRoot() * scale
                    }
                }
            }
        }
    }

    /// Spectral centroid in hertz of the last analysis (0 for silence).
    public func centroid() -> Double {
        var weighted = 0.0
        var total = 0.0
        magnitudes.withUnsafeBufferPointer { magnitudes in
            for bin in 1..<magnitudes.count {
                weighted += Double(magnitudes[bin]) * Double(bin)
                total += Double(magnitudes[bin])
            }
        }
        return total > 1e-9 ? frequency(ofBin: weighted / total) : 0
    }
}
