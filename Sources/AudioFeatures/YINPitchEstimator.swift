/// A pitch estimate: fundamental frequency and how periodic the signal was.
public struct PitchEstimate: Sendable, Hashable {
    /// Fundamental frequency in hertz.
    public var frequency: Double
    /// Confidence in [0, 1]: one minus YIN's cumulative-mean-normalised difference at the chosen lag.
    public var confidence: Double

    /// Creates an estimate.
    public init(frequency: Double, confidence: Double) {
        self.frequency = frequency
        self.confidence = confidence
    }

    /// Fractional MIDI pitch of the estimate.
    public var midiPitch: Double { PitchMath.midiPitch(hertz: frequency) }
}

/// Monophonic fundamental-frequency estimation with YIN (de Cheveigné & Kawahara, 2002).
///
/// The difference function is computed from an FFT cross-correlation and running energies, so one estimate
/// costs three FFTs instead of a window-times-lag double loop. All buffers are allocated at setup.
public final class YINPitchEstimator {
    /// Sample rate of the input.
    public let sampleRate: Double
    /// Lowest detectable fundamental.
    public let minimumFrequency: Double
    /// Highest detectable fundamental.
    public let maximumFrequency: Double
    /// YIN's absolute threshold on the normalised difference.
    public let threshold: Double
    /// Largest number of samples one estimate reads.
    public let capacity: Int

    private let fft: any RealFFT
    private var padded: [Float]
    private var specRe: [Float]
    private var specIm: [Float]
    private var windowRe: [Float]
    private var windowIm: [Float]
    private var correlation: [Float]
    private var energy: [Double]
    private var normalised: [Double]

    /// Creates an estimator reading at most `capacity` samples per estimate.
    public init(
        sampleRate: Double, minimumFrequency: Double = 40, maximumFrequency: Double = 2000,
        threshold: Double = 0.15, capacity: Int, fftProvider: any FFTProvider
    ) {
        self.sampleRate = sampleRate
        self.minimumFrequency = minimumFrequency
        self.maximumFrequency = maximumFrequency
        self.threshold = threshold
        self.capacity = capacity
        var size = 4
        while size < capacity { size <<= 1 }
        fft = fftProvider.makeRealFFT(size: size)
        padded = [Float](repeating: 0, count: size)
        specRe = [Float](repeating: 0, count: size / 2 + 1)
        specIm = [Float](repeating: 0, count: size / 2 + 1)
        windowRe = [Float](repeating: 0, count: size / 2 + 1)
        windowIm = [Float](repeating: 0, count: size / 2 + 1)
        correlation = [Float](repeating: 0, count: size)
        energy = [Double](repeating: 0, count: capacity + 1)
        normalised = [Double](repeating: 0, count: capacity)
    }

    /// Longest lag (period in samples) the estimator considers.
    public var maximumLag: Int { Int((sampleRate / minimumFrequency).rounded(.up)) }

    /// Estimates the pitch of `samples` (at most `capacity` of them are read). The lag range is limited to
    /// half the input, so short inputs only see high pitches. Returns nil for silence or too little input.
    public func estimate(_ samples: UnsafeBufferPointer<Float>) -> PitchEstimate? {
        let length = min(samples.count, capacity)
        let minLag = max(2, Int(sampleRate / maximumFrequency))
        let maxLag = min(maximumLag, length / 2)
        guard maxLag > minLag + 2, let base = samples.baseAddress else { return nil }
        let window = length - maxLag
        let size = fft.size

        // Prefix sums of squares give every window energy in O(1).
        let e0: Double = energy.withUnsafeMutableBufferPointer { energy in
            energy[0] = 0
            for i in 0..<length { energy[i + 1] = energy[i] + Double(base[i]) * Double(base[i]) }
            return energy[window]
        }
        guard e0 > 1e-10 * Double(window) else { return nil }

        // Cross-correlation of the first `window` samples with the whole input: c(τ) = Σ x[j] x[j+τ].
        padded.withUnsafeMutableBufferPointer { p in
            for i in 0..<size { p[i] = i < length ? base[i] : 0 }
        }
        fft.forward(padded, real: &specRe, imaginary: &specIm)
        padded.withUnsafeMutableBufferPointer { p in
            for i in 0..<size { p[i] = i < window ? base[i] : 0 }
        }
        fft.forward(padded, real: &windowRe, imaginary: &windowIm)
        specRe.withUnsafeMutableBufferPointer { specRe in
            specIm.withUnsafeMutableBufferPointer { specIm in
                windowRe.withUnsafeBufferPointer { windowRe in
                    windowIm.withUnsafeBufferPointer { windowIm in
                        for k in 0..<specRe.count {
                            let re = specRe[k] * windowRe[k] + specIm[k] * windowIm[k]
                            let im = specIm[k] * windowRe[k] - specRe[k] * windowIm[k]
                            specRe[k] = re
                            specIm[k] = im
                        }
                    }
                }
            }
        }
        fft.inverse(real: specRe, imaginary: specIm, output: &correlation)
        let scale = 1 / Double(size)

        // Cumulative-mean-normalised difference d'(τ).
        correlation.withUnsafeBufferPointer { correlation in
            energy.withUnsafeBufferPointer { energy in
                normalised.withUnsafeMutableBufferPointer { normalised in
                    var runningSum = 0.0
                    normalised[0] = 1
                    for lag in 1...maxLag {
                        let energyAtLag = energy[lag + window] - energy[lag]
                        let difference = max(0, e0 + energyAtLag - 2 * Double(correlation[lag]) * scale)
                        runningSum += difference
                        normalised[lag] = runningSum > 0 ? difference * Double(lag) / runningSum : 1
                    }
                }
            }
        }

        // First dip under the threshold, followed down to its local minimum; else the global minimum.
        var chosen = -1
        var lag = minLag
        while lag <= maxLag {
            if normalised[lag] < threshold {
                while lag + 1 <= maxLag && normalised[lag + 1] < normalised[lag] { lag += 1 }
                chosen = lag
                break
            }
            lag += 1
        }
        if chosen < 0 {
            var best = minLag
            for candidate in minLag...maxLag where normalised[candidate] < normalised[best] { best = candidate }
            chosen = best
        }
        guard chosen > minLag - 1, chosen < maxLag else { return nil }

        // Parabolic interpolation of the dip for sub-sample period accuracy.
        let left = normalised[chosen - 1]
        let centre = normalised[chosen]
        let right = normalised[chosen + 1]
        let curvature = left - 2 * centre + right
        var offset = curvature > 0 ? 0.5 * (left - right) / curvature : 0
        offset = max(-0.5, min(0.5, offset))
        let period = Double(chosen) + offset
        let frequency = sampleRate / period
        guard frequency >= minimumFrequency * 0.97, frequency <= maximumFrequency * 1.03 else { return nil }
        return PitchEstimate(frequency: frequency, confidence: max(0, min(1, 1 - centre)))
    }
}
