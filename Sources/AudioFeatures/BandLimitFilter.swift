import RealModule

/// One second-order IIR section (direct form II transposed, state in Double).
public struct BiquadSection: Sendable, Equatable {
    /// Feed-forward coefficients, normalised so that a0 = 1.
    public var b0, b1, b2: Double
    /// Feedback coefficients (a0 = 1).
    public var a1, a2: Double
    private var z1 = 0.0
    private var z2 = 0.0

    /// A section from normalised coefficients.
    public init(b0: Double, b1: Double, b2: Double, a1: Double, a2: Double) {
        self.b0 = b0
        self.b1 = b1
        self.b2 = b2
        self.a1 = a1
        self.a2 = a2
    }

    /// Second-order Butterworth-family low-pass (`highPass` false) or high-pass section with quality `q` at
    /// `cutoff` hertz: the bilinear transform pre-warped at the cutoff (the audio-EQ-cookbook form), so cascaded
    /// sections with Butterworth pole Qs form an exact digital Butterworth filter.
    public static func butterworthPole(cutoff: Double, q: Double, sampleRate: Double, highPass: Bool) -> BiquadSection {
        let w0 = 2 * Double.pi * cutoff / sampleRate
        let cosine = Double.cos(w0)
        let alpha = Double.sin(w0) / (2 * q)
        let a0 = 1 + alpha
        let b0 = (highPass ? (1 + cosine) : (1 - cosine)) / 2
        let b1 = highPass ? -(1 + cosine) : (1 - cosine)
        return BiquadSection(
            b0: b0 / a0, b1: b1 / a0, b2: b0 / a0, a1: -2 * cosine / a0, a2: (1 - alpha) / a0)
    }

    /// Filters `samples` in place, continuing from the section's state.
    public mutating func process(_ samples: inout [Float]) {
        var s1 = z1
        var s2 = z2
        let (b0, b1, b2, a1, a2) = (self.b0, self.b1, self.b2, self.a1, self.a2)
        samples.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices {
                let x = Double(buffer[i])
                let y = b0 * x + s1
                s1 = b1 * x - a1 * y + s2
                s2 = b2 * x - a2 * y
                buffer[i] = Float(y)
            }
        }
        z1 = s1
        z2 = s2
    }

    /// |H(e^{jω})| at `hertz`, from the coefficients.
    public func magnitude(atHertz hertz: Double, sampleRate: Double) -> Double {
        let w = 2 * Double.pi * hertz / sampleRate
        // Numerator and denominator evaluated at z = e^{jω}: Σ c_k e^{-jkω}.
        func evaluate(_ c0: Double, _ c1: Double, _ c2: Double) -> Double {
            let real = c0 + c1 * Double.cos(w) + c2 * Double.cos(2 * w)
            let imaginary = -c1 * Double.sin(w) - c2 * Double.sin(2 * w)
            return (real * real + imaginary * imaginary).squareRoot()
        }
        return evaluate(b0, b1, b2) / evaluate(1, a1, a2)
    }
}

/// Band-limits audio with Butterworth filters: a high-pass at `low` hertz and/or a low-pass at `high` hertz,
/// each of `order` poles (default 4: 24 dB per octave), built from cascaded biquads and run causally once.
///
/// Butterworth because its pass band is maximally flat (no ripple to tilt the features) and its step response
/// rings little; IIR rather than FFT masking because a brick-wall mask spreads every onset's energy across the
/// whole region (pre-echo), which would corrupt the onset detection that defines the events. Each edge is
/// −3.01 dB at its cutoff; the response is `1 / (1 + (tan(πf/fs) / tan(πfc/fs))^(2n))` per edge, squared-magnitude.
public struct BandLimitFilter: Sendable, Equatable {
    /// High-pass cutoff in hertz, if any.
    public let low: Double?
    /// Low-pass cutoff in hertz, if any.
    public let high: Double?
    /// Poles per edge.
    public let order: Int
    /// Sample rate the coefficients are designed for.
    public let sampleRate: Double
    /// The sections, high-pass first.
    public private(set) var sections: [BiquadSection]

    /// Designs the filter. `low` and `high` must be positive, below the Nyquist frequency, and `low < high`;
    /// `order` must be even (2...16). Passing neither edge gives a filter that changes nothing.
    public init(low: Double?, high: Double?, sampleRate: Double, order: Int = 4) throws(AudioFeaturesError) {
        let nyquist = sampleRate / 2
        guard sampleRate.isFinite, sampleRate > 0 else { throw .invalidFilter("sample rate \(sampleRate) Hz") }
        guard order >= 2, order <= 16, order % 2 == 0 else {
            throw .invalidFilter("the order must be even and 2...16, got \(order)")
        }
        for (name, edge) in [("low", low), ("high", high)] {
            guard let edge else { continue }
            guard edge.isFinite, edge > 0 else {
                throw .invalidFilter("the \(name) cutoff must be a positive frequency, got \(edge) Hz")
            }
            guard edge < nyquist else {
                throw .invalidFilter(
                    "the \(name) cutoff \(edge) Hz must lie below \(nyquist) Hz, the Nyquist frequency at "
                        + "\(sampleRate) Hz")
            }
        }
        if let low, let high, low >= high {
            throw .invalidFilter("the low cutoff \(low) Hz must be below the high cutoff \(high) Hz")
        }
        self.low = low
        self.high = high
        self.order = order
        self.sampleRate = sampleRate
        // Butterworth pole pairs: Q_k = 1 / (2 cos θ_k), θ_k = (2k − 1)π / (2n).
        let qs = (1...(order / 2)).map { 1 / (2 * Double.cos(Double(2 * $0 - 1) * Double.pi / Double(2 * order))) }
        var sections: [BiquadSection] = []
        if let low {
            sections += qs.map { .butterworthPole(cutoff: low, q: $0, sampleRate: sampleRate, highPass: true) }
        }
        if let high {
            sections += qs.map { .butterworthPole(cutoff: high, q: $0, sampleRate: sampleRate, highPass: false) }
        }
        self.sections = sections
    }

    /// Whether the filter changes anything.
    public var isIdentity: Bool { sections.isEmpty }

    /// Filters `samples` in place (from rest: the state is not kept between calls).
    public func apply(to samples: inout [Float]) {
        for var section in sections { section.process(&samples) }
    }

    /// |H| of the whole cascade at `hertz`, from the coefficients.
    public func magnitude(atHertz hertz: Double) -> Double {
        sections.reduce(1) { $0 * $1.magnitude(atHertz: hertz, sampleRate: sampleRate) }
    }

    /// The ideal digital Butterworth magnitude at `hertz` (what the cascade should equal).
    public func idealMagnitude(atHertz hertz: Double) -> Double {
        let warped = { (f: Double) in Double.tan(Double.pi * f / sampleRate) }
        var squared = 1.0
        let n = Double(2 * order)
        if let low { squared /= 1 + Double.pow(warped(low) / warped(hertz), n) }
        if let high { squared /= 1 + Double.pow(warped(hertz) / warped(high), n) }
        return squared.squareRoot()
    }
}
