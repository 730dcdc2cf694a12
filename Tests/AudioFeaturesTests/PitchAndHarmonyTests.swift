import AudioFeatures
import MusicHalCore
import RealModule
import TestSignals
import Testing

@Suite("Pitch, chroma and consonance")
struct PitchAndHarmonyTests {
    @Test(
        "YIN finds the fundamental of harmonic tones from 40 Hz to 2 kHz", arguments: [28, 36, 45, 57, 69, 81, 93, 95])
    func yinFindsFundamental(midi: Int) throws {
        let sampleRate = 48_000.0
        let samples = SyntheticMelody.render(
            [SyntheticNote(onset: 0, duration: 0.3, midi: midi)], sampleRate: sampleRate, harmonics: 6)
        let estimator = YINPitchEstimator(
            sampleRate: sampleRate, capacity: 4096, fftProvider: ReferenceFFTProvider())
        let window = Array(samples[480..<(480 + 4096)])
        let estimate = try #require(window.withUnsafeBufferPointer { estimator.estimate($0) })
        #expect(abs(estimate.midiPitch - Double(midi)) < 0.5, "expected \(midi), got \(estimate.midiPitch)")
        #expect(estimate.confidence > 0.8)
    }

    @Test("estimating in halves reuses each input's second half and gives the estimate of the whole input")
    func yinInHalves() throws {
        let sampleRate = 48_000.0
        let half = 960
        // A line with legato pitch changes, so consecutive inputs differ in what they hear.
        let samples = SyntheticMelody.legato([(0.15, 69), (0.15, 72), (0.15, 64), (0.15, 76)], sampleRate: sampleRate)
        let sliding = YINPitchEstimator(
            sampleRate: sampleRate, capacity: 2880, halfLength: half, fftProvider: ReferenceFFTProvider())
        let fresh = YINPitchEstimator(sampleRate: sampleRate, capacity: 2880, fftProvider: ReferenceFFTProvider())
        #expect(sliding.halfLength == half)
        // Contiguous inputs one half apart, then a jump (the carried half does not fit and is not used).
        var starts = Array(stride(from: 0, to: samples.count - 2 * half, by: half))
        starts.append(starts[3] + 100)
        starts.append(starts[4] + 100)
        var compared = 0
        for start in starts {
            let input = Array(samples[start..<(start + 2 * half)])
            let expected = input.withUnsafeBufferPointer { fresh.estimate($0) }
            let got = input.withUnsafeBufferPointer { sliding.estimate(halves: $0, firstFrame: FrameTime(start)) }
            let (e, g) = (try #require(expected), try #require(got))
            #expect(abs(g.frequency / e.frequency - 1) < 1e-5, "at \(start): \(g.frequency) vs \(e.frequency)")
            #expect(abs(g.confidence - e.confidence) < 1e-4)
            compared += 1
        }
        #expect(compared == starts.count)

        // An input of another length is estimated whole.
        let other = Array(samples[0..<2048])
        let whole = try #require(other.withUnsafeBufferPointer { fresh.estimate($0) })
        let viaHalves = try #require(other.withUnsafeBufferPointer { sliding.estimate(halves: $0, firstFrame: 0) })
        #expect(whole == viaHalves)
    }

    @Test("silence has no pitch")
    func silenceHasNoPitch() {
        let estimator = YINPitchEstimator(sampleRate: 44_100, capacity: 2048, fftProvider: ReferenceFFTProvider())
        let zeros = [Float](repeating: 0, count: 2048)
        #expect(zeros.withUnsafeBufferPointer { estimator.estimate($0) } == nil)
    }

    @Test("consonance is ordered unison > octave > fifth > fourth > thirds/sixths > seconds/sevenths > m2/tritone")
    func consonanceOrder() {
        let c = { (semitones: Double) in IntervalConsonance.consonance(cents: semitones * 100) }
        #expect(c(0) > c(12))
        #expect(c(12) > c(7))
        #expect(c(7) > c(5))
        let thirdsAndSixths = [3.0, 4, 8, 9].map(c)
        let secondsAndSevenths = [2.0, 10, 11].map(c)
        let harshest = [1.0, 6].map(c)
        #expect(thirdsAndSixths.allSatisfy { $0 < c(5) })
        #expect(thirdsAndSixths.min()! > secondsAndSevenths.max()!)
        #expect(secondsAndSevenths.min()! > harshest.max()!)
        #expect(c(19) < c(7) && c(19) > c(5))  // a twelfth is a slightly weaker fifth
        #expect(IntervalConsonance.consonance(cents: 650) == IntervalConsonance.unmatchedScore)  // a quarter-tone
        #expect(
            IntervalConsonance.chordConsonance(midiPitches: [60, 64, 67])
                > IntervalConsonance.chordConsonance(midiPitches: [60, 61, 66]))
    }

    @Test("the polyphonic estimate names notes played up to 40 cents off the tempered grid", arguments: [-0.38, 0.38])
    func polyphonicNotesOffTheGrid(detune: Double) throws {
        // A soundfont's violin sounds its A5 38 cents flat; such a note still has to be heard as A5, not as its
        // octave harmonic.
        let sampleRate = 44_100.0
        let size = 8192
        let spectrum = MagnitudeSpectrum(size: size, sampleRate: sampleRate, fftProvider: ReferenceFFTProvider())
        var estimator = PolyphonicPitchEstimator()
        for chord in [[81.0], [60.0, 67.0]] {
            var mixed = [Float](repeating: 0, count: size)
            for pitch in chord {
                let tone = SyntheticMelody.legato([(seconds: 0.2, midi: pitch + detune)], sampleRate: sampleRate)
                for index in mixed.indices { mixed[index] += tone[index] }
            }
            mixed.withUnsafeBufferPointer { spectrum.analyse($0) }
            let notes = estimator.estimate(magnitudes: spectrum.magnitudes, fftSize: size, sampleRate: sampleRate)
            #expect(notes == chord.map { Int($0) }, "\(chord) detuned by \(detune): \(notes)")
        }
    }

    @Test("the top three chroma classes of every major and minor triad are its notes", arguments: 0..<12)
    func triadChroma(root: Int) throws {
        let sampleRate = 44_100.0
        let spectrum = MagnitudeSpectrum(size: 4096, sampleRate: sampleRate, fftProvider: ReferenceFFTProvider())
        var extractor = ChromaExtractor()
        for third in [3, 4] {
            let pitches = [60 + root, 60 + root + third, 60 + root + 7]
            let samples = SyntheticMelody.render(
                pitches.map { SyntheticNote(onset: 0, duration: 0.2, midi: $0) }, sampleRate: sampleRate, harmonics: 8)
            samples.withUnsafeBufferPointer { spectrum.analyse(UnsafeBufferPointer(rebasing: $0[441..<(441 + 4096)])) }
            let chroma = extractor.chroma(magnitudes: spectrum.magnitudes, fftSize: 4096, sampleRate: sampleRate)
            let top = Set(chroma.enumerated().sorted { $0.element > $1.element }.prefix(3).map(\.offset))
            #expect(top == Set(pitches.map { $0 % 12 }), "root \(root) third \(third): chroma \(chroma)")
        }
    }
}
