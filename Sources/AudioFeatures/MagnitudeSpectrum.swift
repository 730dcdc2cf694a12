import RealModule

/// Hann-windowed magnitude spectra of one fixed size, with buffers allocated once.
public final class MagnitudeSpectrum {
    /// Transform size in samples.
    public let size: Int
    /// Sample rate of the input.
    public let sampleRate: Double
    /// Highest bin whose magnitude is computed; the bins above it stay zero.
    public let highestBin: Int
    /// Magnitudes of bins 0...size/2, normalised so a full-scale sine peaks near 1.
    public private(set) var magnitudes: [Float]

    private let fft: any RealFFT
    private let window: [Float]
    private let normalisation: Float

    /// Creates an analyser of `size` samples (a power of two). A caller that reads only the lower bins (onset
    /// detection stops at 16 kHz) passes `highestBin` to skip the magnitudes above it.
    public init(size: Int, sampleRate: Double, fftProvider: any FFTProvider, highestBin: Int? = nil) {
        self.size = size
        self.sampleRate = sampleRate
        self.highestBin = min(size / 2, max(0, highestBin ?? size / 2))
        fft = fftProvider.makeRealFFT(size: size)
        window = (0..<size).map { Float(0.5 - 0.5 * Double.cos(2 * Double.pi * Double($0) / Double(size))) }
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
        let input = fft.timeDomain
        // The windowed samples go straight into the transform's input buffer.
        window.withUnsafeBufferPointer { window in
            let window = window.baseAddress!
            if let first = first.baseAddress { Self.multiply(first, window, into: input, count: firstCount) }
            if let second = second.baseAddress {
                Self.multiply(second, window + firstCount, into: input + firstCount, count: secondCount)
            }
        }
        let filled = firstCount + secondCount
        if filled < size { (input + filled).update(repeating: 0, count: size - filled) }
        fft.forward()

        // |X| from the interleaved bins, eight at a time: squares of 16 floats, then the pairs added.
        let bins = UnsafeRawPointer(fft.frequencyDomain)
        let scale = normalisation
        let count = highestBin + 1
        magnitudes.withUnsafeMutableBufferPointer { magnitudes in
            let output = UnsafeMutableRawPointer(magnitudes.baseAddress!)
            var bin = 0
            while bin + 8 <= count {
                let pairs = bins.loadUnaligned(fromByteOffset: bin * 8, as: SIMD16<Float>.self)
                let squares = pairs * pairs
                let magnitude = (squares.evenHalf + squares.oddHalf).squareRoot() * scale
                output.storeBytes(of: magnitude, toByteOffset: bin * 4, as: SIMD8<Float>.self)
                bin += 8
            }
            let interleaved = fft.frequencyDomain
            while bin < count {
                let re = interleaved[2 * bin]
                let im = interleaved[2 * bin + 1]
                magnitudes[bin] = (re * re + im * im).squareRoot() * scale
                bin += 1
            }
        }
    }

    /// `output[i] = samples[i] * window[i]`, eight at a time.
    @inline(__always)
    private static func multiply(
        _ samples: UnsafePointer<Float>, _ window: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        let source = UnsafeRawPointer(samples)
        let weights = UnsafeRawPointer(window)
        let destination = UnsafeMutableRawPointer(output)
        var i = 0
        while i + 8 <= count {
            let x = source.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let w = weights.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            destination.storeBytes(of: x * w, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            output[i] = samples[i] * window[i]
            i += 1
        }
    }

    /// Spectral centroid in hertz of the last analysis (0 for silence).
    public func centroid() -> Double {
        // Four running sums in Double (independent chains, so the additions overlap), then the tail.
        var weightedLanes = SIMD4<Double>()
        var totalLanes = SIMD4<Double>()
        var weighted = 0.0
        var total = 0.0
        magnitudes.withUnsafeBufferPointer { magnitudes in
            let raw = UnsafeRawPointer(magnitudes.baseAddress!)
            var bin = 1
            var index = SIMD4<Double>(1, 2, 3, 4)
            while bin + 4 <= magnitudes.count {
                let m = SIMD4<Double>(raw.loadUnaligned(fromByteOffset: bin * 4, as: SIMD4<Float>.self))
                weightedLanes += m * index
                totalLanes += m
                index += 4
                bin += 4
            }
            while bin < magnitudes.count {
                weighted += Double(magnitudes[bin]) * Double(bin)
                total += Double(magnitudes[bin])
                bin += 1
            }
        }
        weighted += weightedLanes.sum()
        total += totalLanes.sum()
        return total > 1e-9 ? frequency(ofBin: weighted / total) : 0
    }
}
