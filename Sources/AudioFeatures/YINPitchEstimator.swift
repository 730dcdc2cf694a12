public import MusicHalCore
import RealModule

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
/// costs three FFTs instead of a window-times-lag double loop. Each estimate uses the smallest planned
/// transform that holds its input (an event's early estimates read less), and the cumulative-mean-normalised
/// difference is evaluated only up to the first dip under the threshold. All buffers are allocated at setup.
///
/// Through a note's sustain the listener estimates every interval from an input of two intervals (the window
/// and the lag range one interval each): `estimate(halves:firstFrame:)` keeps the transform of each input's
/// second half for the next input, whose first half it is, so those estimates cost two transforms instead of three.
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

    /// Length of each half of an input estimated in halves; 0 when the estimator does not estimate in halves.
    public let halfLength: Int

    /// Transforms of increasing size (powers of two), the last one holding `capacity` samples.
    private let ffts: [any RealFFT]
    private var spectrum: [Float]
    private var normalised: [Double]
    /// Index in `ffts` of the transform for inputs of two halves.
    private let halvesIndex: Int
    /// `e^(-2πi k h / N)` for each bin `k` of that transform (`h` = `halfLength`), interleaved: the shift that puts a
    /// transformed second half in its place after the first.
    private var halfShift: [Float]
    /// Transform of the second half of the last input estimated in halves, and the stream frame it started at.
    private var carriedHalf: [Float]
    private var carriedHalfFrame: FrameTime?

    /// Creates an estimator reading at most `capacity` samples per estimate; `halfLength` (at most half the
    /// capacity and the longest lag) enables `estimate(halves:firstFrame:)` for inputs of twice that length.
    public init(
        sampleRate: Double, minimumFrequency: Double = 40, maximumFrequency: Double = 2000,
        threshold: Double = 0.15, capacity: Int, halfLength: Int = 0, fftProvider: any FFTProvider
    ) {
        self.sampleRate = sampleRate
        self.minimumFrequency = minimumFrequency
        self.maximumFrequency = maximumFrequency
        self.threshold = threshold
        self.capacity = capacity
        var largest = 4
        while largest < capacity { largest <<= 1 }
        var sizes = [largest]
        while sizes[0] > 256 { sizes.insert(sizes[0] / 2, at: 0) }
        ffts = sizes.map { fftProvider.makeRealFFT(size: $0) }
        spectrum = [Float](repeating: 0, count: largest + 2)
        normalised = [Double](repeating: 0, count: capacity)
        let longestLag = Int((sampleRate / minimumFrequency).rounded(.up))
        let half = halfLength > 0 && 2 * halfLength <= capacity && halfLength <= longestLag ? halfLength : 0
        self.halfLength = half
        halvesIndex = sizes.firstIndex { $0 >= 2 * half } ?? sizes.count - 1
        let size = sizes[halvesIndex]
        halfShift = [Float](repeating: 0, count: size + 2)
        for bin in 0...(size / 2) {
            let angle = -2 * Double.pi * Double(bin) * Double(half) / Double(size)
            halfShift[2 * bin] = Float(Double.cos(angle))
            halfShift[2 * bin + 1] = Float(Double.sin(angle))
        }
        carriedHalf = [Float](repeating: 0, count: half > 0 ? size + 2 : 0)
    }

    /// Longest lag (period in samples) the estimator considers.
    public var maximumLag: Int { Int((sampleRate / minimumFrequency).rounded(.up)) }

    /// Estimates the pitch of `samples` (at most `capacity` of them are read). The lag range is limited to
    /// half the input, so short inputs only see high pitches. Returns nil for silence or too little input.
    public func estimate(_ samples: UnsafeBufferPointer<Float>) -> PitchEstimate? {
        let length = min(samples.count, capacity)
        let minLag = self.minimumLag
        let maxLag = min(maximumLag, length / 2)
        guard maxLag > minLag + 2, let base = samples.baseAddress else { return nil }
        let window = length - maxLag
        let e0 = Self.energy(base, count: window)
        guard e0 > 1e-10 * Double(window) else { return nil }

        // Cross-correlation of the first `window` samples with the whole input: c(τ) = Σ x[j] x[j+τ], from
        // X · conj(W). The r2c transform leaves its input alone, so the window is the input with its tail zeroed.
        var fftIndex = 0
        while ffts[fftIndex].size < length { fftIndex += 1 }
        let fft = ffts[fftIndex]
        let size = fft.size
        let bins = size / 2 + 1
        let input = fft.timeDomain
        input.update(from: base, count: length)
        (input + length).update(repeating: 0, count: size - length)
        fft.forward()
        spectrum.withUnsafeMutableBufferPointer { spectrum in
            spectrum.baseAddress!.update(from: fft.frequencyDomain, count: 2 * bins)
            (input + window).update(repeating: 0, count: length - window)
            fft.forward()
            Self.multiplyConjugate(spectrum.baseAddress!, into: fft.frequencyDomain, bins: bins)
        }
        fft.inverse()
        return pick(
            base, window: window, lags: minLag...maxLag, energy: e0, correlation: fft.timeDomain,
            scale: 1 / Double(size))
    }

    /// Estimates the pitch of `2 × halfLength` samples whose first sample is the stream's `firstFrame`, with the
    /// first half as the window and lags up to `halfLength`: the same estimate as `estimate(_:)` gives for that
    /// input. When the first half is the second half of the previous call, its transform is reused.
    public func estimate(halves samples: UnsafeBufferPointer<Float>, firstFrame: FrameTime) -> PitchEstimate? {
        let half = halfLength
        let minLag = self.minimumLag
        guard half > minLag + 2, samples.count == 2 * half, let base = samples.baseAddress else {
            carriedHalfFrame = nil
            return estimate(samples)
        }
        let fft = ffts[halvesIndex]
        let size = fft.size
        let bins = size / 2 + 1
        let input = fft.timeDomain
        (input + half).update(repeating: 0, count: size - half)
        let reuse = carriedHalfFrame == firstFrame
        carriedHalf.withUnsafeMutableBufferPointer { carried in
            if !reuse {
                input.update(from: base, count: half)
                fft.forward()
                carried.baseAddress!.update(from: fft.frequencyDomain, count: 2 * bins)
            }
            input.update(from: base + half, count: half)
            fft.forward()
            // X = A + shift · B is the whole input's transform (A, B: the halves'), and the correlation's spectrum
            // is X · conj(A); B is kept for the next input.
            halfShift.withUnsafeBufferPointer { shift in
                Self.combineHalves(
                    first: carried.baseAddress!, second: fft.frequencyDomain, shift: shift.baseAddress!, bins: bins)
            }
        }
        carriedHalfFrame = firstFrame + FrameTime(half)
        fft.inverse()
        let e0 = Self.energy(base, count: half)
        guard e0 > 1e-10 * Double(half) else { return nil }
        return pick(
            base, window: half, lags: minLag...half, energy: e0, correlation: fft.timeDomain, scale: 1 / Double(size))
    }

    /// Shortest lag (period in samples) the estimator considers.
    private var minimumLag: Int { max(2, Int(sampleRate / maximumFrequency)) }

    /// Energy of `count` samples, in four independent sums (a single running sum is one long chain of dependent
    /// additions).
    private static func energy(_ base: UnsafePointer<Float>, count: Int) -> Double {
        var lanes = SIMD4<Double>()
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i + 4 <= count {
            let x = SIMD4<Double>(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self))
            lanes += x * x
            i += 4
        }
        var sum = lanes.sum()
        while i < count {
            sum += Double(base[i]) * Double(base[i])
            i += 1
        }
        return sum
    }

    /// YIN's choice of period from the cross-correlation `c(τ) · scale` of the first `window` samples of `base`
    /// with the whole input, whose window has `energy` at lag 0.
    private func pick(
        _ base: UnsafePointer<Float>, window: Int, lags: ClosedRange<Int>, energy e0: Double,
        correlation: UnsafeMutablePointer<Float>, scale: Double
    ) -> PitchEstimate? {
        let (minLag, maxLag) = (lags.lowerBound, lags.upperBound)
        return normalised.withUnsafeMutableBufferPointer { normalised in
            // Cumulative-mean-normalised difference d'(τ), computed lag by lag only as far as it is read.
            var computed = 0
            var runningSum = 0.0
            var energyAtLag = e0
            normalised[0] = 1
            func value(_ lag: Int) -> Double {
                while computed < lag {
                    let next = computed + 1
                    let entering = Double(base[next + window - 1])
                    let leaving = Double(base[next - 1])
                    energyAtLag += entering * entering - leaving * leaving
                    let difference = max(0, e0 + energyAtLag - 2 * Double(correlation[next]) * scale)
                    runningSum += difference
                    normalised[next] = runningSum > 0 ? difference * Double(next) / runningSum : 1
                    computed = next
                }
                return normalised[lag]
            }

            // The local minimum at or after `lag`.
            func bottom(from start: Int) -> Int {
                var lag = start
                while lag + 1 <= maxLag && value(lag + 1) < normalised[lag] { lag += 1 }
                return lag
            }
            // First dip under `limit`, followed down to its local minimum.
            func firstDip(under limit: Double) -> Int? {
                var lag = minLag
                while lag <= maxLag {
                    if value(lag) < limit { return bottom(from: lag) }
                    lag += 1
                }
                return nil
            }

            var chosen: Int
            if let dip = firstDip(under: threshold) {
                chosen = dip
            } else {
                // No dip under the threshold (vibrato, a ringing previous note): the first dip under the next
                // step above the deepest one, not the deepest itself, which is often a common period of
                // overlapping notes far below either.
                var deepest = minLag
                for candidate in minLag...maxLag where normalised[candidate] < normalised[deepest] {
                    deepest = candidate
                }
                let step = threshold / 3
                let limit = threshold + step * ((normalised[deepest] - threshold) / step).rounded(.down) + step
                chosen = firstDip(under: limit) ?? deepest
            }
            guard chosen > minLag - 1, chosen < maxLag else { return nil }

            // Parabolic interpolation of the dip for sub-sample period accuracy.
            let left = normalised[chosen - 1]
            let centre = normalised[chosen]
            let right = value(chosen + 1)
            let curvature = left - 2 * centre + right
            var offset = curvature > 0 ? 0.5 * (left - right) / curvature : 0
            offset = max(-0.5, min(0.5, offset))
            let period = Double(chosen) + offset
            let frequency = sampleRate / period
            guard frequency >= minimumFrequency * 0.97, frequency <= maximumFrequency * 1.03 else { return nil }
            return PitchEstimate(frequency: frequency, confidence: max(0, min(1, 1 - centre)))
        }
    }

    /// Replaces `second` (B) by `(first + shift · second) · conj(first)` and `first` (A) by B, bin by bin.
    @inline(__always)
    private static func combineHalves(
        first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>, shift: UnsafePointer<Float>,
        bins: Int
    ) {
        for bin in 0..<bins {
            let (ar, ai) = (first[2 * bin], first[2 * bin + 1])
            let (br, bi) = (second[2 * bin], second[2 * bin + 1])
            let (sr, si) = (shift[2 * bin], shift[2 * bin + 1])
            let xr = ar + sr * br - si * bi
            let xi = ai + sr * bi + si * br
            second[2 * bin] = xr * ar + xi * ai
            second[2 * bin + 1] = xi * ar - xr * ai
            first[2 * bin] = br
            first[2 * bin + 1] = bi
        }
    }

    /// `w[k] = x[k] · conj(w[k])` on interleaved complex bins, eight bins at a time.
    @inline(__always)
    private static func multiplyConjugate(_ x: UnsafePointer<Float>, into w: UnsafeMutablePointer<Float>, bins: Int) {
        let source = UnsafeRawPointer(x)
        let target = UnsafeMutableRawPointer(w)
        var bin = 0
        while bin + 8 <= bins {
            let a = source.loadUnaligned(fromByteOffset: bin * 8, as: SIMD16<Float>.self)
            let b = target.loadUnaligned(fromByteOffset: bin * 8, as: SIMD16<Float>.self)
            let (ar, ai, br, bi) = (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
            let re = ar * br + ai * bi
            let im = ai * br - ar * bi
            var product = SIMD16<Float>()
            for lane in 0..<8 {
                product[2 * lane] = re[lane]
                product[2 * lane + 1] = im[lane]
            }
            target.storeBytes(of: product, toByteOffset: bin * 8, as: SIMD16<Float>.self)
            bin += 8
        }
        while bin < bins {
            let (ar, ai, br, bi) = (x[2 * bin], x[2 * bin + 1], w[2 * bin], w[2 * bin + 1])
            w[2 * bin] = ar * br + ai * bi
            w[2 * bin + 1] = ai * br - ar * bi
            bin += 1
        }
    }
}
