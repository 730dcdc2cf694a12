import AudioFeatures
import Improviser
import MIDICore
import ModelFormat
import MusicHalCore
import Testing

/// Harmony, snapping, motifs and the arc as the agent uses them, on the sample clock (simulated events, no audio).
@Suite("Musicianship in the agent: chord override, snapping, motif recall, performance arc")
struct MusicianshipAgentTests {
    static let rate = SimulatedMusic.sampleRate

    static func seconds(_ frame: FrameTime) -> Double { Double(frame) / rate }

    static func agent(mode: ImproviserMode, seed: UInt64, density: Double = 0.9, initiative: Double = 0.5) throws
        -> Improviser
    {
        var parameters = AgentParameters()
        try parameters.set("density", to: density)
        try parameters.set("initiative", to: initiative)
        var agent = Improviser(sampleRate: rate, seed: seed, parameters: parameters, mode: mode)
        agent.load(try AgentBehaviourTests.twoKeyCorpus())
        return agent
    }

    @Test("a performer's chord rules for its seconds: with chord snapping every note is a tone of Dm7")
    func chordOverrideWithSnapping() throws {
        var agent = try Self.agent(mode: .imitate, seed: 3)
        agent.snapTargets[.imitate] = .chord
        agent.overrideChord(try ChordName(parsing: "Dm7"), at: 0, seconds: 60)
        let phrases = SimulatedMusic.perform(&agent, input: AgentBehaviourTests.cMajorInput(), until: 40)
        let pitches = phrases.flatMap { $0.notes.map { Int($0.pitch) } }
        #expect(pitches.count >= 20, "only \(pitches.count) notes")
        let chordTones: Set<Int> = [2, 5, 9, 0]
        #expect(
            pitches.allSatisfy { chordTones.contains($0 % 12) },
            "not Dm7: \(pitches.filter { !chordTones.contains($0 % 12) })")
        let chord = try #require(agent.harmony.chord)
        #expect(chord.isOverride && chord.label.description == "Dm7")
        #expect(phrases.contains { $0.constraints.contains { $0.contains("snapped to the performer's chord Dm7") } })

        // Without snapping, the same performance leaves the chord (the C-major corpus has E, G, B).
        var free = try Self.agent(mode: .imitate, seed: 3)
        free.overrideChord(try ChordName(parsing: "Dm7"), at: 0, seconds: 60)
        let unsnapped = SimulatedMusic.perform(&free, input: AgentBehaviourTests.cMajorInput(), until: 40)
            .flatMap { $0.notes.map { Int($0.pitch) % 12 } }
        #expect(unsnapped.contains { !chordTones.contains($0) })
    }

    @Test("an override ends after its seconds or when cleared; the heard chord counts again")
    func overrideEnds() throws {
        var agent = try Self.agent(mode: .imitate, seed: 5)
        agent.overrideChord(try ChordName(parsing: "F#maj7"), at: 0, seconds: 10)
        _ = SimulatedMusic.perform(&agent, input: [], until: 9.5)
        #expect(agent.harmony.chord?.label.description == "F#maj7")
        _ = agent.tick(now: FrameTime(10.5 * Self.rate))
        #expect(agent.harmony.chord?.isOverride != true)
        #expect(!agent.harmony.isOverridden)

        agent.overrideChord(try ChordName(parsing: "Bb"), at: FrameTime(11 * Self.rate), seconds: 30)
        _ = agent.tick(now: FrameTime(11.2 * Self.rate))
        #expect(agent.harmony.chord?.label.description == "Bb")
        agent.clearChordOverride()
        #expect(agent.harmony.chord?.isOverride != true)
    }

    @Test("scale snapping keeps contrast in the key heard at each phrase; without it contrast leaves the key")
    func scaleSnappingPerMode() throws {
        /// Every note from 10 s on, with the key the agent had heard when it chose the phrase.
        func contrastNotes(snap: SnapTarget) throws -> [(pitchClass: Int, key: MusicalKey)] {
            var agent = try Self.agent(mode: .contrast, seed: 2)
            agent.snapTargets[.contrast] = snap
            let input = AgentBehaviourTests.cMajorInput()
            var notes: [(Int, MusicalKey)] = []
            var next = 0
            let step = FrameTime(0.01 * Self.rate)
            var now: FrameTime = 0
            while Self.seconds(now) < 40 {
                now += step
                var phrases: [Phrase] = []
                while next < input.count && input[next].onsetFrame <= now {
                    phrases += agent.hearOnset(at: input[next].onsetFrame)
                    next += 1
                }
                for event in input where event.offsetFrame > now - step && event.offsetFrame <= now {
                    agent.hear(event, now: now)
                }
                phrases += agent.tick(now: now)
                guard Self.seconds(now) >= 10, let key = agent.harmony.key?.label else { continue }
                notes += phrases.flatMap { $0.notes.map { (Int($0.pitch) % 12, key) } }
            }
            return notes
        }
        let snapped = try contrastNotes(snap: .scale)
        #expect(snapped.count >= 10)
        let outside = snapped.filter { !$0.key.scale.contains($0.pitchClass) }
        #expect(outside.isEmpty, "outside the key: \(outside)")
        let free = try contrastNotes(snap: .off)
        #expect(free.contains { !$0.key.scale.contains($0.pitchClass) }, "contrast never left the key unsnapped")
    }

    @Test("motifs come back every 30 to 60 seconds, varied, inside the register")
    func motifRecall() throws {
        var agent = try Self.agent(mode: .lead, seed: 9, density: 1, initiative: 1)
        let phrases = SimulatedMusic.perform(&agent, input: [], until: 300)
        let recalls = phrases.filter { $0.reason.hasPrefix("motif:") }
        #expect(recalls.count >= 4, "\(recalls.count) motif recalls in 5 minutes")
        let starts = recalls.compactMap { $0.notes.first.map { Self.seconds($0.startFrame) } }
        let gaps = zip(starts, starts.dropFirst()).map { $1 - $0 }
        // A recall waits for the next phrase decision after it is due, so a gap may run a little past 60 s.
        #expect(gaps.allSatisfy { $0 >= 30 && $0 <= 66 }, "gaps \(gaps)")
        let register = agent.parameters.register(of: .melody)
        #expect(recalls.allSatisfy { $0.notes.allSatisfy { register.contains(Int($0.pitch)) } })
        let variations = Set(
            recalls.compactMap { phrase in
                ["transposed", "inverted", "augmentation", "diminution"].first { phrase.reason.contains($0) }
            })
        #expect(variations.count >= 2, "variations: \(variations), reasons \(recalls.map(\.reason))")
    }

    @Test("the arc builds up, plays, winds down, fades and then stays silent")
    func arcShapesActivity() throws {
        var agent = try Self.agent(mode: .lead, seed: 4, density: 1, initiative: 1)
        try agent.startArc(minutes: 3, at: 0)
        let phrases = SimulatedMusic.perform(&agent, input: [], until: 240)
        let played = phrases.flatMap(\.notes)
        func notes(from start: Double, to end: Double) -> [Note] {
            played.filter { Self.seconds($0.startFrame) >= start && Self.seconds($0.startFrame) < end }
        }
        let buildUp = notes(from: 0, to: 27)  // 15% of 180 s
        let main = notes(from: 27, to: 144)
        let ending = notes(from: 144, to: 180)
        let after = notes(from: 180, to: 240)
        #expect(after.isEmpty, "\(after.count) notes after the end")
        #expect(Double(main.count) / 117 > Double(buildUp.count) / 27, "main \(main.count), build-up \(buildUp.count)")
        let meanVelocity = { (notes: [Note]) in
            Double(notes.map { Int($0.velocity) }.reduce(0, +)) / Double(max(1, notes.count))
        }
        #expect(
            meanVelocity(main) > meanVelocity(ending),
            "velocity main \(meanVelocity(main)), ending \(meanVelocity(ending))")
        #expect(agent.arc?.phase(at: FrameTime(200 * Self.rate)) == .ended)
        #expect(phrases.contains { $0.constraints.contains { $0.hasPrefix("performance arc: main") } })
        agent.stopArc()
        #expect(agent.arc == nil)
    }

    @Test("a learned arc follows the model's loudness contour; without one the default shape stands in")
    func learnedArc() throws {
        var agent = try Self.agent(mode: .lead, seed: 1)
        try agent.startArc(minutes: 2, at: 0, learned: true)
        #expect(agent.arc?.contour == nil)

        let events = try AgentBehaviourTests.twoKeyCorpus().events
        var metadata = ModelMetadata(
            musicHalVersion: "test", createdAt: "now", analysisSampleRate: Self.rate, featureLayoutVersion: 1,
            thresholdWasAutomatic: false, sources: [])
        // Quiet, loud, quiet: the learned arc is louder in the middle than the default shape at the same point.
        metadata.parameters["loudness_contour_db"] = (0..<32).map { String($0 < 8 || $0 >= 24 ? -40.0 : -6.0) }
            .joined(separator: ",")
        let base = try AgentBehaviourTests.twoKeyCorpus()
        agent.load(try MusicHalModel(metadata: metadata, events: events, oracle: base.oracle))
        try agent.startArc(minutes: 2, at: 0, learned: true)
        let arc = try #require(agent.arc)
        #expect(arc.contour != nil)
        let quiet = arc.activity(at: FrameTime(0.2 * 120 * Self.rate))
        let loud = arc.activity(at: FrameTime(0.5 * 120 * Self.rate))
        #expect(loud > quiet)
    }

    @Test("engine commands apply chord, arc and snapping at the frame they arrive")
    func engineCommands() throws {
        let engine = ImprovisationEngine(
            listener: try StreamingListener(sampleRate: Self.rate, fftProvider: ReferenceFFTProvider()),
            improviser: try Self.agent(mode: .lead, seed: 7), outputMode: .standard(channels: .default))
        _ = engine.start(at: 0)
        _ = engine.advance(to: 48_000)
        _ = engine.apply(.overrideChord(try ChordName(parsing: "Am"), seconds: 2), at: engine.currentFrame)
        _ = engine.apply(.startArc(minutes: 1, learned: true), at: engine.currentFrame)
        _ = engine.apply(.setSnapTargets([.contrast: .chord]), at: engine.currentFrame)
        #expect(engine.improviser.harmony.chord?.label.description == "Am")
        #expect(engine.improviser.arc?.startFrame == 48_000)
        #expect(engine.improviser.snapTargets == [.imitate: .off, .contrast: .chord, .lead: .scale])
        _ = engine.advance(to: 48_000 * 4)
        #expect(engine.improviser.harmony.chord?.isOverride != true, "the 2 s override outlived its time")
        #expect(engine.improviser.arc?.phase(at: engine.currentFrame) == .buildUp)
        _ = engine.apply(.stopArc, at: engine.currentFrame)
        #expect(engine.improviser.arc == nil)
    }
}
