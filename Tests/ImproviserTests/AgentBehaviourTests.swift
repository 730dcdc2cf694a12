import Improviser
import ModelFormat
import MusicHalCore
import Testing

@Suite("Agent behaviour in simulated performances")
struct AgentBehaviourTests {
    static let cMajor = [0, 2, 4, 5, 7, 9, 11]
    static let fSharpMajor = [6, 8, 10, 11, 1, 3, 5]

    /// A corpus holding a C-major melody, then an F#-major one.
    static func twoKeyCorpus() throws -> MusicHalModel {
        let first = SimulatedMusic.scaleWalk(scale: cMajor, count: 80, seed: 1)
        let second = SimulatedMusic.scaleWalk(scale: fSharpMajor, count: 80, seed: 2)
        return try SimulatedMusic.model(
            SimulatedMusic.melody(first + second, rhythm: [0.25, 0.25, 0.5, 0.25]))
    }

    /// A C-major input with phrase gaps (rests of 1.5 s every 8 notes), for 40 s: the musician plays a
    /// variation of the corpus's C-major melody (every fifth note moved a step), the situation imitation is for.
    static func cMajorInput() -> [MusicHalCore.MusicalEvent] {
        let scaleNotes = (40...90).filter { cMajor.contains($0 % 12) }
        let pitches = SimulatedMusic.scaleWalk(scale: cMajor, count: 80, seed: 1).dropFirst(8).prefix(64).enumerated()
            .map { index, pitch in
                guard index % 5 == 4, let position = scaleNotes.firstIndex(of: pitch) else { return pitch }
                return scaleNotes[position + 1]
            }
        var events: [MusicalEvent] = []
        var time = 0.5
        for chunk in stride(from: 0, to: pitches.count, by: 8) {
            let phrase = Array(pitches[chunk..<min(pitches.count, chunk + 8)])
            events += SimulatedMusic.melody(phrase, rhythm: [0.3], start: time)
            time += Double(phrase.count) * 0.3 + 1.5
        }
        return events
    }

    private func answerSimilarity(mode: ImproviserMode, seed: UInt64) throws -> Double {
        var parameters = AgentParameters()
        try parameters.set("density", to: 0.9)
        var agent = Improviser(sampleRate: SimulatedMusic.sampleRate, seed: seed, parameters: parameters, mode: mode)
        agent.load(try Self.twoKeyCorpus())
        let input = Self.cMajorInput()
        let phrases = SimulatedMusic.perform(&agent, input: input, until: 40)
        // The input's last ten seconds and the answer to them (the melody notes from then on).
        let end = input.last.map { Double($0.onsetFrame) / SimulatedMusic.sampleRate } ?? 0
        let seconds = { (frame: FrameTime) in Double(frame) / SimulatedMusic.sampleRate }
        let recent = input.filter { seconds($0.onsetFrame) >= end - 10 }.compactMap(\.midiNote)
        let answer = phrases.filter { $0.voice == .melody }.flatMap(\.notes)
            .filter { seconds($0.startFrame) >= end - 10 }.map { Int($0.pitch) }
        #expect(answer.count >= 8, "\(mode) played only \(answer.count) notes")
        return pitchClassSimilarity(SimulatedMusic.histogram(recent), SimulatedMusic.histogram(answer))
    }

    @Test("imitate follows the input's pitch content; contrast answers against it", arguments: [1, 2, 3] as [UInt64])
    func imitateAndContrast(seed: UInt64) throws {
        let imitate = try answerSimilarity(mode: .imitate, seed: seed)
        let contrast = try answerSimilarity(mode: .contrast, seed: seed)
        print("pitch-class cosine with the input, seed \(seed): imitate \(imitate), contrast \(contrast)")
        #expect(imitate >= 0.8)
        #expect(contrast <= imitate - 0.3)
    }

    @Test("lead plays in the input's key")
    func leadKeepsTheKey() throws {
        var agent = Improviser(sampleRate: SimulatedMusic.sampleRate, seed: 4, mode: .lead)
        // A corpus in F# major only: lead must transpose it into the input's C major.
        let corpus = SimulatedMusic.scaleWalk(scale: Self.fSharpMajor, count: 120, seed: 3)
        agent.load(try SimulatedMusic.model(SimulatedMusic.melody(corpus, rhythm: [0.25, 0.5])))
        let input = Self.cMajorInput()
        let phrases = SimulatedMusic.perform(&agent, input: input, until: 40)
        let notes = phrases.flatMap { $0.notes.map { Int($0.pitch) % 12 } }
        // The key heard is consistent with what was played (C major, or a key sharing all but one of its notes).
        let key = try #require(agent.inputKey)
        let heardClasses = Set(input.suffix(30).compactMap { $0.midiNote.map { $0 % 12 } })
        #expect(heardClasses.subtracting(key.scale).count <= 1, "key \(key) for \(heardClasses.sorted())")
        #expect(notes.count >= 10)
        #expect(notes.allSatisfy { key.scale.contains($0) }, "notes outside \(key): \(notes)")
        // The F#-major corpus was transposed to get there.
        #expect(phrases.filter { !$0.reason.hasPrefix("motif:") }.allSatisfy { $0.transposition != 0 })
    }

    @Test("raising continuity raises the mean run of consecutive corpus events")
    func continuityLengthensRuns() throws {
        func meanRun(_ continuity: Double) throws -> Double {
            var parameters = AgentParameters()
            try parameters.set("continuity", to: continuity)
            try parameters.set("density", to: 1)
            var agent = Improviser(
                sampleRate: SimulatedMusic.sampleRate, seed: 9, parameters: parameters, mode: .imitate)
            agent.load(try Self.twoKeyCorpus())
            let phrases = SimulatedMusic.perform(&agent, input: Self.cMajorInput(), until: 40)
            var runs: [Int] = []
            for phrase in phrases {
                var run = 1
                for (previous, step) in zip(phrase.steps, phrase.steps.dropFirst()) {
                    if step.state == previous.state + 1 {
                        run += 1
                    } else {
                        runs.append(run)
                        run = 1
                    }
                }
                runs.append(run)
            }
            return Double(runs.reduce(0, +)) / Double(max(1, runs.count))
        }
        let low = try meanRun(0.1)
        let high = try meanRun(0.95)
        print("mean run of consecutive corpus events: continuity 0.1 → \(low), 0.95 → \(high)")
        #expect(high > low * 1.5)
    }

    @Test(
        "register and velocity limits are never violated, in every mode and voice", arguments: ImproviserMode.allCases)
    func limits(mode: ImproviserMode) throws {
        var parameters = AgentParameters()
        try parameters.set([(name: "melody_low", value: 64), (name: "melody_high", value: 76)])
        try parameters.set([(name: "bass_low", value: 36), (name: "bass_high", value: 48)])
        try parameters.set([(name: "velocity_low", value: 40), (name: "velocity_high", value: 50)])
        try parameters.set("density", to: 1)
        try parameters.set("transposition", to: 7)
        var agent = Improviser(sampleRate: SimulatedMusic.sampleRate, seed: 5, parameters: parameters, mode: mode)
        agent.load(try Self.twoKeyCorpus())
        let phrases = SimulatedMusic.perform(&agent, input: Self.cMajorInput(), until: 40)
        if mode == .listen { #expect(phrases.isEmpty) } else { #expect(!phrases.isEmpty) }
        for phrase in phrases {
            for note in phrase.notes {
                #expect(parameters.register(of: note.voice).contains(Int(note.pitch)))
                #expect((40...50).contains(Int(note.velocity)))
            }
            #expect(phrase.mode != .auto && phrase.mode != .listen)
        }
    }

    @Test("give_space 1 answers only in the musician's gaps")
    func givesSpace() throws {
        var parameters = AgentParameters()
        try parameters.set([
            (name: "give_space", value: 1), (name: "density", value: 1), (name: "initiative", value: 0),
        ])
        var agent = Improviser(sampleRate: SimulatedMusic.sampleRate, seed: 6, parameters: parameters)
        agent.load(try Self.twoKeyCorpus())
        let input = Self.cMajorInput()
        let phrases = SimulatedMusic.perform(&agent, input: input, until: 40)
        #expect(!phrases.isEmpty)
        for phrase in phrases {
            let start = phrase.startFrame!
            let lastOnset = input.map(\.onsetFrame).filter { $0 <= start }.max() ?? 0
            #expect(
                Double(start - lastOnset) / SimulatedMusic.sampleRate >= 1.25,
                "a phrase started while the musician played")
        }
    }

    @Test("initiative decides whether the agent plays on its own in silence")
    func initiative() throws {
        for (value, expectsPlaying) in [(0.0, false), (1.0, true)] {
            var parameters = AgentParameters()
            try parameters.set("initiative", to: value)
            var agent = Improviser(sampleRate: SimulatedMusic.sampleRate, seed: 8, parameters: parameters)
            agent.load(try Self.twoKeyCorpus())
            let phrases = SimulatedMusic.perform(&agent, input: [], until: 30)
            #expect(phrases.isEmpty != expectsPlaying, "initiative \(value): \(phrases.count) phrases")
        }
    }

    @Test("never more than 2 + 10 × density notes start in any second", arguments: [0.0, 0.5, 1.0])
    func densityCeiling(density: Double) throws {
        var parameters = AgentParameters()
        try parameters.set([
            (name: "density", value: density), (name: "give_space", value: 0), (name: "initiative", value: 1),
        ])
        try parameters.set([(name: "phrase_min", value: 20), (name: "phrase_max", value: 20)])
        var agent = Improviser(sampleRate: SimulatedMusic.sampleRate, seed: 2, parameters: parameters)
        agent.load(try Self.twoKeyCorpus())
        let starts = SimulatedMusic.perform(&agent, input: Self.cMajorInput(), until: 40)
            .flatMap { $0.notes.map(\.startFrame) }.sorted()
        let ceiling = Int(2 + 10 * density)
        for (index, start) in starts.enumerated() {
            let inWindow = starts[index...].prefix { $0 < start + FrameTime(SimulatedMusic.sampleRate) }.count
            #expect(inWindow <= ceiling)
        }
    }

    @Test("auto holds each mode 15 to 45 seconds and moves on")
    func autoMode() throws {
        var agent = Improviser(sampleRate: SimulatedMusic.sampleRate, seed: 3, mode: .auto)
        agent.load(try Self.twoKeyCorpus())
        var history: [(Double, ImproviserMode)] = []
        var now: FrameTime = 0
        while Double(now) / SimulatedMusic.sampleRate < 400 {
            _ = agent.tick(now: now)
            if history.last?.1 != agent.activeMode {
                history.append((Double(now) / SimulatedMusic.sampleRate, agent.activeMode))
            }
            now += FrameTime(0.05 * SimulatedMusic.sampleRate)
        }
        #expect(history.count >= 9)
        for (current, next) in zip(history, history.dropFirst()) {
            #expect(next.0 - current.0 >= 15 - 0.1 && next.0 - current.0 <= 45 + 0.1)
            #expect(next.1 != current.1)
        }
        #expect(Set(history.map(\.1)) == [.imitate, .lead, .contrast])
    }

    @Test("the same seed gives the same performance")
    func deterministic() throws {
        func run(_ seed: UInt64) throws -> [Note] {
            var agent = Improviser(sampleRate: SimulatedMusic.sampleRate, seed: seed, mode: .auto)
            agent.load(try Self.twoKeyCorpus())
            return SimulatedMusic.perform(&agent, input: Self.cMajorInput(), until: 40).flatMap(\.notes)
        }
        #expect(try run(11) == run(11))
        #expect(try run(11) != run(12))
    }
}
