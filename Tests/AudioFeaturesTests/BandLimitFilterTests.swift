import AudioFeatures
import RealModule
import TestSignals
import Testing

/// Gain in dB of `filter` on a steady sine at `hertz`, measured on the output after the transient has died out.
private func measuredGainDB(_ filter: BandLimitFilter, hertz: Double) -> Double {
    let rate = filter.sampleRate
    let count = Int(rate)  // one second: the slowest section (100 Hz, Q 1.31) settles in well under 0.5 s
    var samples = (0..<count).map { Float(Double.sin(2 * Double.pi * hertz * Double($0) / rate)) }
    filter.apply(to: &samples)
    let tail = samples[(count / 2)...]
    let rms = (tail.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(tail.count)).squareRoot()
    return 20 * Double.log10(rms / 0.5.squareRoot())
}

private func decibels(_ magnitude: Double) -> Double { 20 * Double.log10(magnitude) }

@Suite("Band-limiting filter")
struct BandLimitFilterTests {
    @Test("the biquad cascade is exactly the digital Butterworth response")
    func cascadeMatchesButterworth() throws {
        let filter = try BandLimitFilter(low: 100, high: 4000, sampleRate: 48_000)
        #expect(filter.sections.count == 4)
        for hertz in [20.0, 50, 100, 141, 200, 1000, 2000, 4000, 5657, 8000, 16_000, 23_000] {
            let actual = filter.magnitude(atHertz: hertz)
            let ideal = filter.idealMagnitude(atHertz: hertz)
            #expect(abs(actual - ideal) <= 1e-9 * max(1, ideal), "\(hertz) Hz: \(actual) vs \(ideal)")
        }
    }

    @Test(
        "sines come through with the designed gain: flat in band, -3 dB at each cutoff, -24 dB an octave below",
        arguments: [
            // (frequency, expected dB, tolerance dB)
            (1000.0, 0.0, 0.05), (400.0, 0.0, 0.05), (100.0, -3.01, 0.05), (4000.0, -3.01, 0.05),
            (50.0, -24.10, 0.1), (25.0, -48.16, 0.1),
            // The bilinear transform steepens the top edge: tan(π·8000/48000) / tan(π·4000/48000) = 2.155, not 2.
            (8000.0, -26.68, 0.1),
        ])
    func sineResponse(hertz: Double, expected: Double, tolerance: Double) throws {
        let filter = try BandLimitFilter(low: 100, high: 4000, sampleRate: 48_000)
        let measured = measuredGainDB(filter, hertz: hertz)
        #expect(abs(measured - expected) <= tolerance, "\(hertz) Hz: measured \(measured) dB, expected \(expected)")
        #expect(abs(measured - decibels(filter.idealMagnitude(atHertz: hertz))) <= 0.05, "\(hertz) Hz")
    }

    @Test("one edge alone: a high-pass passes the top, a low-pass the bottom, no edge changes nothing")
    func singleEdges() throws {
        let highPass = try BandLimitFilter(low: 500, high: nil, sampleRate: 16_000)
        #expect(abs(measuredGainDB(highPass, hertz: 5000)) < 0.05)
        #expect(measuredGainDB(highPass, hertz: 125) < -47)
        let lowPass = try BandLimitFilter(low: nil, high: 500, sampleRate: 16_000)
        #expect(abs(measuredGainDB(lowPass, hertz: 60)) < 0.05)
        #expect(measuredGainDB(lowPass, hertz: 2000) < -47)
        let none = try BandLimitFilter(low: nil, high: nil, sampleRate: 16_000)
        #expect(none.isIdentity)
        var samples = SyntheticMelody.render(SyntheticMelody.scale, sampleRate: 16_000)
        let original = samples
        none.apply(to: &samples)
        #expect(samples == original)
    }

    @Test("impossible bands are refused with a message naming the problem")
    func refusals() {
        #expect(throws: AudioFeaturesError.self) { try BandLimitFilter(low: 4000, high: 100, sampleRate: 48_000) }
        #expect(throws: AudioFeaturesError.self) { try BandLimitFilter(low: 300, high: 300, sampleRate: 48_000) }
        #expect(throws: AudioFeaturesError.self) { try BandLimitFilter(low: nil, high: 8000, sampleRate: 16_000) }
        #expect(throws: AudioFeaturesError.self) { try BandLimitFilter(low: -5, high: nil, sampleRate: 16_000) }
        #expect(throws: AudioFeaturesError.self) { try BandLimitFilter(low: .nan, high: nil, sampleRate: 16_000) }
        let error = #expect(throws: AudioFeaturesError.self) {
            try BandLimitFilter(low: nil, high: 9000, sampleRate: 16_000)
        }
        #expect(error?.description.contains("9000") == true && error?.description.contains("Nyquist") == true)
    }
}

@Suite("Chroma profile of a region")
struct ChromaProfileTests {
    private let rate = 44_100.0

    @Test("a C major scale lights the seven C major pitch classes and no others")
    func scaleProfile() {
        let samples = SyntheticMelody.render(SyntheticMelody.scale, sampleRate: rate)
        let profile = ChromaProfile().profile(of: samples, sampleRate: rate, fftProvider: ReferenceFFTProvider())
        let major: Set = [0, 2, 4, 5, 7, 9, 11]
        let weakestInKey = major.map { profile[$0] }.min()!
        let strongestOutside = (0..<12).filter { !major.contains($0) }.map { profile[$0] }.max()!
        #expect(weakestInKey > 2 * strongestOutside, "\(profile)")
        let norm = profile.reduce(Float(0)) { $0 + $1 * $1 }
        #expect(abs(norm - 1) < 1e-5)
    }

    @Test("the profile does not change with level, and a transposition rotates it")
    func levelAndTransposition() {
        let notes = SyntheticMelody.scale
        let samples = SyntheticMelody.render(notes, sampleRate: rate)
        let quieter = samples.map { $0 * 0.5 }
        let tritone = SyntheticMelody.render(
            notes.map {
                var n = $0; n.midi += 6; return n
            }, sampleRate: rate)
        let provider = ReferenceFFTProvider()
        let profile = ChromaProfile().profile(of: samples, sampleRate: rate, fftProvider: provider)
        let quiet = ChromaProfile().profile(of: quieter, sampleRate: rate, fftProvider: provider)
        let moved = ChromaProfile().profile(of: tritone, sampleRate: rate, fftProvider: provider)
        for k in 0..<12 { #expect(abs(profile[k] - quiet[k]) < 1e-4) }
        // Rotating the transposed profile back by six classes lands close to the original.
        var backDot: Float = 0
        var sameDot: Float = 0
        for k in 0..<12 {
            backDot += profile[k] * moved[(k + 6) % 12]
            sameDot += profile[k] * moved[k]
        }
        #expect(backDot > 0.95, "rotated back: \(backDot)")
        #expect(sameDot < 0.75, "unrotated: \(sameDot)")
    }

    @Test("silence has an all-zero profile")
    func silence() {
        let profile = ChromaProfile().profile(
            of: [Float](repeating: 0, count: 10_000), sampleRate: rate, fftProvider: ReferenceFFTProvider())
        #expect(profile == [Float](repeating: 0, count: 12))
    }
}
