import Improviser
import MusicHalCore
import Testing

private let sampleRate = 48_000.0

private func frames(_ seconds: Double) -> FrameTime { FrameTime((seconds * sampleRate).rounded()) }

/// A five-note phrase: C4 E4 D4 G4 F4 with a dotted rhythm and rising velocities, starting at `start` seconds.
private func phrase(at start: Double = 2, transposedBy shift: Int = 0) -> [Note] {
    let pitches = [60, 64, 62, 67, 65]
    let onsets = [0.0, 0.375, 0.5, 1.0, 1.25]
    let durations = [0.3, 0.1, 0.45, 0.2, 0.7]
    return (0..<5).map { index in
        Note(
            pitch: UInt8(pitches[index] + shift), velocity: UInt8(60 + 10 * index),
            startFrame: frames(start + onsets[index]), durationFrames: frames(durations[index]))
    }
}

@Suite("Motifs")
struct MotifTests {
    @Test("a phrase becomes intervals, inter-onset times, durations and velocities")
    func extraction() throws {
        let motif = try #require(Motif(notes: phrase().reversed()))
        #expect(motif.firstPitch == 60)
        #expect(motif.intervals == [4, -2, 5, -2])
        #expect(motif.interOnsets == [frames(0.375), frames(0.125), frames(0.5), frames(0.25)])
        #expect(motif.durations == [0.3, 0.1, 0.45, 0.2, 0.7].map(frames))
        #expect(motif.velocities == [60, 70, 80, 90, 100])
        #expect(motif.pitches == [60, 64, 62, 67, 65])
        #expect(motif.recordedAt == frames(2))
        #expect(motif.lengthFrames == frames(1.25) + frames(0.7))
        #expect(Motif(notes: Array(phrase().prefix(1))) == nil)
    }

    @Test("transposition moves every pitch and keeps the rhythm")
    func transposition() throws {
        let motif = try #require(Motif(notes: phrase()))
        let moved = motif.transposed(by: -5)
        #expect(moved.pitches == motif.pitches.map { $0 - 5 })
        #expect(moved.intervals == motif.intervals)
        #expect(moved.interOnsets == motif.interOnsets && moved.durations == motif.durations)
    }

    @Test("inversion mirrors every interval around the first note and keeps the rhythm")
    func inversion() throws {
        let motif = try #require(Motif(notes: phrase()))
        let mirrored = motif.inverted()
        #expect(mirrored.intervals == [-4, 2, -5, 2])
        #expect(mirrored.pitches == [60, 56, 58, 53, 55])
        for (original, inverted) in zip(motif.pitches, mirrored.pitches) {
            #expect(original - 60 == 60 - inverted)
        }
        #expect(mirrored.interOnsets == motif.interOnsets && mirrored.velocities == motif.velocities)
        #expect(mirrored.inverted() == motif)
    }

    @Test("augmentation doubles the rhythm, diminution halves it; the pitches stay")
    func augmentationAndDiminution() throws {
        let motif = try #require(Motif(notes: phrase()))
        let slow = motif.augmented()
        #expect(slow.interOnsets == motif.interOnsets.map { $0 * 2 })
        #expect(slow.durations == motif.durations.map { $0 * 2 })
        #expect(slow.onsets == motif.onsets.map { $0 * 2 })
        #expect(slow.pitches == motif.pitches && slow.velocities == motif.velocities)
        let fast = motif.diminished()
        #expect(fast.interOnsets == motif.interOnsets.map { $0 / 2 })  // every value here is even
        #expect(fast.durations == motif.durations.map { $0 / 2 })
        #expect(fast.pitches == motif.pitches)
        #expect(slow.diminished() == motif)
    }

    @Test("placement keeps the shape when an octave fits, and folds notes in when none does")
    func registerFitting() throws {
        let motif = try #require(Motif(notes: phrase()))
        // Fits as is: untouched.
        #expect(motif.fitted(into: 55...80) == motif)
        // Register an octave higher: moved up by one octave, shape intact.
        let up = motif.fitted(into: 70...90)
        #expect(up.pitches == motif.pitches.map { $0 + 12 })
        // Far below: moved down by whole octaves, nearest octave that fits.
        let down = motif.fitted(into: 30...45)
        #expect(down.intervals == motif.intervals && down.pitches.allSatisfy { (30...45).contains($0) })
        #expect(down.firstPitch == 36)
        // Narrower than the motif's span (7 semitones): notes folded in, every one inside.
        let folded = motif.fitted(into: 60...64)
        #expect(folded.pitches.allSatisfy { (60...64).contains($0) })
        #expect(folded.pitches == [60, 64, 62, 64, 64], "G and F fold to the nearer edge")
        // Wider than an octave but narrower than the span: only the notes outside are folded.
        let wide = try #require(
            Motif(
                notes: phrase(transposedBy: 0) + [
                    Note(pitch: 80, velocity: 64, startFrame: frames(4), durationFrames: 10)
                ]))
        #expect(wide.fitted(into: 58...75).pitches == [60, 64, 62, 67, 65, 68])
    }
}

@Suite("Motif memory")
struct MotifMemoryTests {
    @Test("capacity is bounded and short phrases are not motifs")
    func capacity() {
        var memory = MotifMemory(sampleRate: sampleRate, capacity: 3)
        let tooShort = memory.remember(Array(phrase().prefix(2)))
        #expect(!tooShort)
        for index in 0..<5 {
            let kept = memory.remember(phrase(at: Double(index), transposedBy: index))
            #expect(kept)
        }
        #expect(memory.motifs.count == 3)
        #expect(memory.motifs.map(\.firstPitch) == [62, 63, 64], "the oldest go first")
        memory.maximumNotes = 4
        memory.remember(phrase(at: 20))
        #expect(memory.motifs.last?.noteCount == 4)
    }

    @Test("recalls come only 30-60 s apart, at varied times, and not at all without initiative")
    func timingWindow() throws {
        var memory = MotifMemory(sampleRate: sampleRate)
        memory.remember(phrase())
        memory.remember(phrase(at: 5, transposedBy: 2))
        var random = SeededRandomGenerator(seed: 7)
        var recalls: [Double] = []
        var time = 0.0
        while time < 900 {
            if memory.recall(at: frames(time), register: 48...84, initiative: 1, random: &random) != nil {
                recalls.append(time)
            }
            time += 0.05
        }
        #expect(recalls.count >= 15)
        #expect(recalls[0] >= 30 - 1e-9 && recalls[0] <= 60 + 0.05)
        let gaps = zip(recalls, recalls.dropFirst()).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 >= 30 - 1e-9 && $0 <= 60 + 0.05 }, "\(gaps)")
        #expect(Set(gaps.map { Int($0) }).count > 5, "the wait is drawn anew each time")

        var shy = MotifMemory(sampleRate: sampleRate)
        shy.remember(phrase())
        var never = 0
        for step in 0..<20_000
        where shy.recall(at: frames(Double(step) * 0.05), register: 48...84, initiative: 0, random: &random) != nil {
            never += 1
        }
        #expect(never == 0)
    }

    @Test("a failed initiative gate waits before trying again; half initiative still keeps the 30 s minimum")
    func initiativeGate() {
        var memory = MotifMemory(sampleRate: sampleRate)
        memory.remember(phrase())
        var random = SeededRandomGenerator(seed: 3)
        var attempts = 0
        var recalls: [Double] = []
        var time = 0.0
        while time < 1200 {
            let before = memory.nextRecallFrame
            if let due = before, frames(time) >= due { attempts += 1 }
            if memory.recall(at: frames(time), register: 48...84, initiative: 0.5, random: &random) != nil {
                recalls.append(time)
            }
            time += 0.05
        }
        let gaps = zip(recalls, recalls.dropFirst()).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 >= 30 - 1e-9 })
        #expect(attempts > recalls.count, "some gates failed")
        #expect(recalls.count >= 8 && recalls.count <= 30)
    }

    @Test("nothing is recalled from an empty memory, and the window stays open for the first motif")
    func emptyMemory() throws {
        var memory = MotifMemory(sampleRate: sampleRate)
        var random = SeededRandomGenerator(seed: 1)
        #expect(memory.recall(at: frames(100), register: 48...84, initiative: 1, random: &random) == nil)
        memory.remember(phrase())
        let recalled = try #require(
            memory.recall(at: frames(100.05), register: 48...84, initiative: 1, random: &random))
        #expect(recalled.notes.first?.startFrame == frames(100.05))
    }

    @Test("every variation occurs, each is exact, and the register is always respected")
    func variationsAndRegister() throws {
        var random = SeededRandomGenerator(seed: 11)
        var seen: Set<MotifVariation> = []
        let registers = [48...84, 60...72, 30...50, 70...100, 62...66]
        for trial in 0..<200 {
            var memory = MotifMemory(sampleRate: sampleRate)
            memory.remember(phrase())
            let register = registers[trial % registers.count]
            let start = frames(60)
            let recalled = try #require(memory.recall(at: start, register: register, initiative: 1, random: &random))
            seen.insert(recalled.variation)
            #expect(recalled.notes.allSatisfy { register.contains(Int($0.pitch)) }, "\(register)")
            #expect(recalled.notes.count == 5 && recalled.notes.first?.startFrame == start)
            let source = recalled.source
            let expected: Motif =
                switch recalled.variation {
                case .transposition: source.transposed(by: recalled.transposition)
                case .inversion: source.inverted()
                case .augmentation: source.augmented()
                case .diminution: source.diminished()
                }
            #expect(recalled.notes.map { $0.startFrame - start } == expected.onsets)
            #expect(recalled.notes.map(\.durationFrames) == expected.durations)
            #expect(recalled.notes.map(\.velocity) == expected.velocities)
            if recalled.variation == .transposition {
                #expect(MotifMemory.transpositionChoices.contains(recalled.transposition))
            } else {
                #expect(recalled.transposition == 0)
            }
            // Where a whole octave fits, the shape is kept exactly, moved by octaves only.
            let pitches = recalled.notes.map { Int($0.pitch) }
            let octaveFits = (-11...11).contains { octaves in
                expected.pitches.allSatisfy { register.contains($0 + 12 * octaves) }
            }
            if octaveFits {
                #expect(zip(pitches, pitches.dropFirst()).map { $1 - $0 } == expected.intervals)
                #expect((pitches[0] - expected.firstPitch) % 12 == 0)
                #expect(pitches[0] - expected.firstPitch == recalled.octaveShift)
            }
            #expect(recalled.reason.contains("5-note motif from 2.0 s"))
        }
        #expect(seen == Set(MotifVariation.allCases))
    }

    @Test("the newest motif is not recalled while older ones exist")
    func notTheNewest() throws {
        var memory = MotifMemory(sampleRate: sampleRate)
        memory.remember(phrase(at: 1))
        memory.remember(phrase(at: 10, transposedBy: 5))
        var random = SeededRandomGenerator(seed: 5)
        var time = 0.0
        while time < 2000 {
            if let recalled = memory.recall(at: frames(time), register: 40...90, initiative: 1, random: &random) {
                #expect(recalled.source.recordedAt == frames(1))
            }
            time += 1
        }
    }

    @Test("the same seed gives the same recalls")
    func determinism() {
        func run(seed: UInt64) -> [RecalledMotif] {
            var memory = MotifMemory(sampleRate: sampleRate)
            var random = SeededRandomGenerator(seed: seed)
            var result: [RecalledMotif] = []
            for index in 0..<6 { memory.remember(phrase(at: Double(index) * 3, transposedBy: index)) }
            var time = 0.0
            while time < 600 {
                if let recalled = memory.recall(at: frames(time), register: 50...80, initiative: 0.7, random: &random) {
                    result.append(recalled)
                }
                time += 0.5
            }
            return result
        }
        let first = run(seed: 42)
        #expect(first.count >= 5)
        #expect(first == run(seed: 42))
        #expect(first != run(seed: 43))
    }
}
