import AudioFeatures
import Improviser
import MusicHalCore
import TestSignals
import Testing

private let sampleRate = 48_000.0

private func frames(_ seconds: Double) -> FrameTime { FrameTime((seconds * sampleRate).rounded()) }

/// Binary chroma of a pitch-class set.
private func chroma(_ pitchClasses: PitchClassSet) -> [Double] {
    (0..<12).map { pitchClasses.contains($0) ? 1 : 0 }
}

@Suite("Chord names")
struct ChordNameTests {
    @Test(
        "names from lead sheets parse to their root and pitch classes",
        arguments: [
            ("Dm7", 2, ChordQuality.minorSeventh, [2, 5, 9, 0]),
            ("F#maj7", 6, .majorSeventh, [6, 10, 1, 5]),
            ("Bb", 10, .major, [10, 2, 5]),
            ("C", 0, .major, [0, 4, 7]),
            ("Ebm", 3, .minor, [3, 6, 10]),
            ("G7", 7, .dominantSeventh, [7, 11, 2, 5]),
            ("Bdim", 11, .diminished, [11, 2, 5]),
            ("Bdim7", 11, .diminishedSeventh, [11, 2, 5, 8]),
            ("Cø", 0, .halfDiminishedSeventh, [0, 3, 6, 10]),
            ("Bm7b5", 11, .halfDiminishedSeventh, [11, 2, 5, 9]),
            ("A-7", 9, .minorSeventh, [9, 0, 4, 7]),
            ("Gsus", 7, .suspendedFourth, [7, 0, 2]),
            ("Dsus2", 2, .suspendedSecond, [2, 4, 9]),
            ("Eaug", 4, .augmented, [4, 8, 0]),
            ("F6", 5, .sixth, [5, 9, 0, 2]),
            ("Am6", 9, .minorSixth, [9, 0, 4, 6]),
            ("C9", 0, .dominantNinth, [0, 4, 7, 10, 2]),
            ("Ab", 8, .major, [8, 0, 3]),
            ("Cb", 11, .major, [11, 3, 6]),
            ("E♭maj7", 3, .majorSeventh, [3, 7, 10, 2]),
            ("CΔ7", 0, .majorSeventh, [0, 4, 7, 11]),
            (" Dm7 ", 2, .minorSeventh, [2, 5, 9, 0]),
        ])
    func parses(name: String, root: Int, quality: ChordQuality, tones: [Int]) throws {
        let chord = try ChordName(parsing: name)
        #expect(chord.root == root)
        #expect(chord.quality == quality)
        #expect(chord.pitchClasses == PitchClassSet(tones))
        #expect(chord.bass == nil)
    }

    @Test("a slash chord adds its bass")
    func slashChord() throws {
        let chord = try ChordName(parsing: "C/E")
        #expect(chord.root == 0 && chord.quality == .major && chord.bass == 4)
        #expect(chord.description == "C/E")
        let added = try ChordName(parsing: "Dm7/G")
        #expect(added.pitchClasses == PitchClassSet([2, 5, 9, 0, 7]))
    }

    @Test("every root spelling and every canonical quality round-trips through printing")
    func roundTrip() throws {
        let roots = ["C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#", "Gb", "G", "G#", "Ab", "A", "A#", "Bb", "B"]
        for root in roots {
            for quality in ChordQuality.allCases {
                let name = root + quality.symbol
                let chord = try ChordName(parsing: name)
                #expect(chord.description == name)
                #expect(chord.quality == quality, "\(name)")
                #expect(try ChordName(parsing: chord.description) == chord)
                #expect(chord.pitchClasses == PitchClassSet(quality.intervals.map { chord.root + $0 }))
            }
        }
        for quality in ChordQuality.allCases {
            for spelling in quality.spellings {
                #expect(try ChordName(parsing: "G" + spelling).quality == quality, "G\(spelling)")
            }
        }
        // A chord named from a pitch class prints with the default spelling and parses back to itself.
        for root in 0..<12 {
            let chord = ChordName(root: root, quality: .minorSeventh)
            #expect(try ChordName(parsing: chord.description) == chord)
        }
    }

    @Test("no spelling is claimed by two qualities")
    func spellingsAreUnique() {
        let all = ChordQuality.allCases.flatMap(\.spellings)
        #expect(Set(all).count == all.count)
    }

    @Test(
        "bad names give one error naming the name and the problem",
        arguments: [
            ("", "empty"),
            ("   ", "empty"),
            ("H7", "root letter"),
            ("m7", "root letter"),
            ("dm7", "root letter"),
            ("Cxyz", "unknown chord quality 'xyz'"),
            ("C7b9", "unknown chord quality '7b9'"),
            ("C/", "bass after '/'"),
            ("C/H", "bass after '/'"),
            ("C/Em", "bass after '/'"),
        ])
    func badNames(name: String, words: String) {
        #expect {
            try ChordName(parsing: name)
        } throws: { error in
            guard let error = error as? MusicianshipError, case .badChordName(let text, _) = error else {
                return false
            }
            return text == name && error.description.contains(words) && error.description.contains("'\(name)'")
        }
    }
}

@Suite("Pitch-class sets")
struct PitchClassSetTests {
    @Test("membership, transposition and iteration")
    func basics() {
        var set: PitchClassSet = [0, 4, 7]
        #expect(set.count == 3 && set.contains(60) && set.contains(-8) && !set.contains(61))
        #expect(Array(set.transposed(by: 2)) == [2, 6, 9])
        #expect(Array(set.transposed(by: -1)) == [3, 6, 11])
        #expect(set.transposed(by: 12) == set)
        set.insert(23)
        #expect(Array(set) == [0, 4, 7, 11])
        #expect(set.description == "{0, 4, 7, 11}")
        #expect(PitchClassSet().isEmpty)
    }
}

@Suite("Harmony tracker")
struct HarmonyTrackerTests {
    /// Every recognizable chord of every root, from a fresh tracker; returns (played, named).
    private func recognize(bassHint: Bool) -> [(ChordName, ChordName?)] {
        var results: [(ChordName, ChordName?)] = []
        for quality in ChordQuality.recognizable {
            for root in 0..<12 {
                let played = ChordName(root: root, quality: quality)
                var tracker = HarmonyTracker(sampleRate: sampleRate)
                tracker.observe(
                    chroma: chroma(played.pitchClasses), bass: bassHint ? root : nil, at: frames(1), weight: 1)
                results.append((played, tracker.chord?.label))
            }
        }
        return results
    }

    @Test("the chroma of every triad and seventh of every root names a chord with exactly its notes")
    func recognizesEveryChord() {
        let templates = ChordQuality.recognizable.flatMap { quality in
            (0..<12).map { ChordName(root: $0, quality: quality) }
        }
        for (played, named) in recognize(bassHint: false) {
            #expect(named?.pitchClasses == played.pitchClasses, "\(played) was named \(String(describing: named))")
            // Where no other template has the same notes, the root and quality are exact too.
            let twins = templates.filter { $0.pitchClasses == played.pitchClasses }
            if twins.count == 1 { #expect(named == played) }
        }
    }

    @Test("with the bass on the root, even chords with the same notes (Am7/C6, dim7, aug) are named exactly")
    func bassNamesTheRoot() {
        for (played, named) in recognize(bassHint: true) {
            #expect(named == played, "\(played) was named \(String(describing: named))")
        }
    }

    @Test("same-note chords without a bass take the commoner reading")
    func preferredReadings() {
        var tracker = HarmonyTracker(sampleRate: sampleRate)
        tracker.observe(chroma: chroma([9, 0, 4, 7]), at: 0, weight: 1)
        #expect(tracker.chord?.label.description == "Am7")
        var inversion = HarmonyTracker(sampleRate: sampleRate)
        // First inversion of C major: the root is still C although E is in the bass.
        inversion.observe(pitches: [52, 55, 60], at: 0, weight: 1)
        #expect(inversion.chord?.label.description == "C")
    }

    @Test(
        "chroma extracted from synthesized audio of triads and sevenths of every root is recognized",
        arguments: 0..<12)
    func recognizesAudioChroma(root: Int) throws {
        let audioRate = 44_100.0
        let spectrum = MagnitudeSpectrum(size: 4096, sampleRate: audioRate, fftProvider: ReferenceFFTProvider())
        var extractor = ChromaExtractor()
        for quality in [ChordQuality.major, .minor, .dominantSeventh, .majorSeventh, .minorSeventh] {
            let pitches = quality.intervals.map { 60 + root + $0 }
            let samples = SyntheticMelody.render(
                pitches.map { SyntheticNote(onset: 0, duration: 0.2, midi: $0) }, sampleRate: audioRate)
            samples.withUnsafeBufferPointer { spectrum.analyse(UnsafeBufferPointer(rebasing: $0[441..<(441 + 4096)])) }
            let heard = extractor.chroma(magnitudes: spectrum.magnitudes, fftSize: 4096, sampleRate: audioRate)
            var tracker = HarmonyTracker(sampleRate: sampleRate)
            tracker.observe(chroma: heard, at: 0, weight: 0.5)
            let expected = ChordName(root: root, quality: quality)
            #expect(tracker.chord?.label == expected, "heard \(heard)")
            #expect((tracker.chord?.confidence ?? 0) > 0.8)
        }
    }

    @Test(
        "the key of a diatonic melody's chroma",
        arguments: [
            // D harmonic minor: D F A D E F G A Bb A G F E C# D, long notes on the tonic triad.
            ("D minor", [62, 65, 69, 74, 64, 65, 67, 69, 70, 69, 67, 65, 64, 61, 62], [1, 0.5, 0.5, 1, 0.5]),
            // G major: G B D G A B C D E D C B A F# G.
            ("G major", [67, 71, 74, 79, 69, 71, 72, 74, 76, 74, 72, 71, 69, 66, 67], [1, 0.5, 0.5, 1, 0.5]),
            // Bb major: Bb D F Bb C D Eb F G F Eb D C A Bb.
            ("Bb major", [58, 62, 65, 70, 60, 62, 63, 65, 67, 65, 63, 62, 60, 57, 58], [1, 0.5, 0.5, 1, 0.5]),
        ])
    func keyOfMelody(name: String, melody: [Int], rhythm: [Double]) {
        var tracker = HarmonyTracker(sampleRate: sampleRate)
        var time = 0.0
        for (index, pitch) in melody.enumerated() {
            let duration = rhythm[index % rhythm.count]
            var one = [Float](repeating: 0, count: 12)
            one[pitch % 12] = 1
            tracker.observe(chroma: one, at: frames(time), weight: duration)
            time += duration
        }
        // The last note is the tonic; hold it for a while.
        tracker.observe(chroma: chroma([melody.last! % 12]), at: frames(time), weight: 2)
        #expect(tracker.keyName == name)
        #expect((tracker.key?.confidence ?? 0) > 0.6)
        #expect((tracker.key?.confidence ?? 2) <= 1)
    }

    @Test("no key or chord before enough is heard; confidence falls through a long silence")
    func evidence() throws {
        var tracker = HarmonyTracker(sampleRate: sampleRate)
        #expect(tracker.key == nil && tracker.chord == nil && tracker.instantChord == nil)
        tracker.observe(pitches: [60], at: 0, weight: 0.3)
        #expect(tracker.chord == nil, "a lone note is no chord")
        #expect(tracker.key == nil, "0.3 s is too little for a key")
        tracker.observe(pitches: [60, 64, 67], at: frames(0.3), weight: 0.5)
        let before = try #require(tracker.chord)
        #expect(before.label.description == "C")
        tracker.advance(to: frames(10))
        let after = try #require(tracker.chord)
        #expect(after.label == before.label, "the harmony persists through silence")
        #expect(after.confidence < before.confidence / 10)
        #expect(after.confidence >= 0)
    }

    /// Four seconds of C major in quarter-second events, one loud F# major event, then C major again; the
    /// chord after each later event.
    private func oddEventRun(settings: HarmonySettings) throws -> (instant: ChordName?, chords: [ChordName?]) {
        var tracker = HarmonyTracker(sampleRate: sampleRate, settings: settings)
        let c = try ChordName(parsing: "C")
        var time = 0.0
        while time < 4 {
            tracker.observe(chroma: chroma(c.pitchClasses), at: frames(time), weight: 0.25)
            time += 0.25
        }
        #expect(tracker.chord?.label == c)
        // Six times a regular event's weight: alone it wins the moment.
        tracker.observe(chroma: chroma(try ChordName(parsing: "F#").pitchClasses), at: frames(time), weight: 1.5)
        let instant = tracker.instantChord?.label
        var chords: [ChordName?] = []
        for _ in 0..<12 {
            time += 0.25
            tracker.observe(chroma: chroma(c.pitchClasses), at: frames(time), weight: 0.25)
            tracker.advance(to: frames(time + 0.1))
            chords.append(tracker.chord?.label)
        }
        return (instant, chords)
    }

    @Test("hysteresis: a single odd event does not flip the chord (without the hold time it would)")
    func oddEventDoesNotFlip() throws {
        let c = try ChordName(parsing: "C")
        let held = try oddEventRun(settings: HarmonySettings())
        #expect(held.instant != nil && held.instant != c, "the odd event wins the moment")
        #expect(held.chords.allSatisfy { $0 == c }, "\(held.chords)")
        var impatient = HarmonySettings()
        impatient.chordHold = 0
        impatient.chordMargin = 0
        let flipped = try oddEventRun(settings: impatient)
        #expect(flipped.chords.contains { $0 != c }, "without hysteresis the chord flips: \(flipped.chords)")
    }

    @Test("hysteresis: a sustained change takes over after the hold time, not before")
    func sustainedChangeFlips() throws {
        let settings = HarmonySettings()
        var tracker = HarmonyTracker(sampleRate: sampleRate, settings: settings)
        let c = try ChordName(parsing: "C")
        let g7 = try ChordName(parsing: "G7")
        var time = 0.0
        while time < 4 {
            tracker.observe(chroma: chroma(c.pitchClasses), at: frames(time), weight: 0.25)
            time += 0.25
        }
        let changeTime = time
        var firstWin: Double?
        var switched: Double?
        while time < 8 {
            tracker.observe(chroma: chroma(g7.pitchClasses), at: frames(time), weight: 0.25)
            if firstWin == nil, tracker.instantChord?.label == g7 { firstWin = time }
            if switched == nil, tracker.chord?.label == g7 { switched = time }
            time += 0.05
            tracker.advance(to: frames(time))
            if switched == nil, tracker.chord?.label == g7 { switched = time }
        }
        let win = try #require(firstWin)
        let change = try #require(switched)
        #expect(change - win >= settings.chordHold - 1e-9, "held for \(change - win) s")
        #expect(change - changeTime < 1.5, "the change took \(change - changeTime) s")
        #expect(tracker.chord?.since == frames(change))
    }

    @Test("a key change needs the longer key hold")
    func keyHysteresis() {
        var tracker = HarmonyTracker(sampleRate: sampleRate)
        let cMajor = [60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60]
        let aFlatMajor = [68, 70, 72, 73, 75, 77, 79, 80, 75, 72, 68]
        var time = 0.0
        for _ in 0..<3 {
            for pitch in cMajor {
                tracker.observe(pitches: [pitch], at: frames(time), weight: 0.4)
                time += 0.4
            }
        }
        #expect(tracker.keyName == "C major")
        let changeTime = time
        var changed: Double?
        for _ in 0..<6 {
            for pitch in aFlatMajor {
                tracker.observe(pitches: [pitch], at: frames(time), weight: 0.4)
                if changed == nil, tracker.keyName == "Ab major" { changed = time }
                time += 0.4
            }
        }
        #expect(tracker.keyName == "Ab major")
        #expect((changed ?? 0) - changeTime >= HarmonySettings().keyHold)
    }

    @Test("an override wins until it expires, and the heard chord returns")
    func overrideWinsAndExpires() throws {
        var tracker = HarmonyTracker(sampleRate: sampleRate)
        let c = try ChordName(parsing: "C")
        tracker.observe(chroma: chroma(c.pitchClasses), at: frames(1), weight: 1)
        let dm7 = try ChordName(parsing: "Dm7")
        tracker.override(dm7, from: frames(2), durationFrames: frames(30))
        tracker.advance(to: frames(2))
        for second in stride(from: 2.0, to: 32, by: 0.5) {
            tracker.observe(chroma: chroma(c.pitchClasses), at: frames(second), weight: 0.5)
            #expect(tracker.chord?.label == dm7)
            #expect(tracker.chord?.isOverride == true && tracker.chord?.confidence == 1)
            #expect(tracker.chordName == "Dm7")
        }
        #expect(tracker.isOverridden && tracker.overrideEnd == frames(32))
        #expect(tracker.heardChord?.label == c)
        tracker.advance(to: frames(32) - 1)
        #expect(tracker.chord?.label == dm7)
        tracker.advance(to: frames(32))
        #expect(!tracker.isOverridden && tracker.overrideEnd == nil)
        #expect(tracker.chord?.label == c)
        #expect(tracker.chord?.isOverride == false)
    }

    @Test("clearing the override ends it at once; the snapper follows it")
    func clearOverride() throws {
        var tracker = HarmonyTracker(sampleRate: sampleRate)
        tracker.observe(pitches: [60, 64, 67], at: 0, weight: 0.5)
        let bb = try ChordName(parsing: "Bb")
        tracker.override(bb, until: frames(30))
        #expect(tracker.chord?.label == bb)
        #expect(tracker.snapper(for: .chord)?.pitchClasses == bb.pitchClasses)
        tracker.clearOverride()
        #expect(tracker.chord?.label.description == "C")
        #expect(tracker.snapper(for: .chord)?.pitchClasses == [0, 4, 7])
        #expect(tracker.snapper(for: .off) == nil)
        #expect(tracker.snapper(for: .scale) == nil, "no key yet")
    }
}

@Suite("Scale snapping")
struct ScaleSnapperTests {
    @Test("pitches move to the nearest chord tone; ties go down")
    func chordSnapping() throws {
        let snapper = ScaleSnapper(try ChordName(parsing: "C").pitchClasses)
        #expect(snapper.snap(60) == 60)
        #expect(snapper.snap(61) == 60)
        #expect(snapper.snap(62) == 60, "D is as far from C as from E: down")
        #expect(snapper.snap(63) == 64)
        #expect(snapper.snap(66) == 67)
        #expect(snapper.snap(69) == 67)
        #expect(snapper.snap(70) == 72)
        #expect(snapper.snap(-3) == 0)
        #expect(snapper.snap(127) == 127)  // G
        #expect(ScaleSnapper([0]).snap(127) == 120, "C above 127 does not exist")
    }

    @Test("scale snapping to a key's scale, every pitch lands in the scale within a semitone")
    func scaleSnapping() {
        let key = MusicalKey(tonic: 2, isMinor: true)
        let snapper = ScaleSnapper(PitchClassSet(key.scale))
        for pitch in 0...127 {
            let snapped = snapper.snap(pitch)
            #expect(key.scale.contains(snapped % 12))
            #expect(abs(snapped - pitch) <= 1)
            if key.scale.contains(pitch % 12) { #expect(snapped == pitch) }
        }
        // C# sits between C and D: down to C.
        #expect(snapper.snap(61) == 60)
    }

    @Test("snapping inside a register stays inside it")
    func registerSnapping() {
        let snapper = ScaleSnapper([0, 4, 7])
        #expect(snapper.snap(59, into: 60...72) == 60)
        #expect(snapper.snap(74, into: 60...72) == 72)
        #expect(snapper.snap(40, into: 60...72) == 60)
        #expect(snapper.snap(65, into: 61...63) == 63, "no chord tone in range: clamped")
        #expect(ScaleSnapper(PitchClassSet()).snap(61) == 61)
        #expect(ScaleSnapper(PitchClassSet()).snap(99, into: 60...72) == 72)
    }
}
