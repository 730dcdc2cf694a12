import AudioFeatures
import Improviser
import MIDICore
import ModelFormat
import MusicHalCore
import OracleCore
import TestSignals
import Testing
import Training

/// Trains a model on `notes` and runs them back through an engine; returns every MIDI message it sent.
func perform(
    notes: [SyntheticNote], seed: UInt64, mode: ImproviserMode = .imitate,
    parameters: AgentParameters = AgentParameters(), sampleRate: Double = 48_000
) throws -> (messages: [TimedMIDIMessage], phrases: [Phrase]) {
    let samples = SyntheticMelody.render(notes, sampleRate: sampleRate)
    let trainer = ModelTrainer(
        analysisSampleRate: sampleRate, threshold: .fixed(0.6), fftProvider: ReferenceFFTProvider())
    try trainer.beginSource(name: "melody", contentHash: "test")
    try trainer.feed(AudioBlock(startFrame: 0, sampleRate: sampleRate, samples: samples))
    try trainer.endSource()
    let (model, _) = try trainer.finish(musicHalVersion: "test", createdAt: "now")

    var improviser = Improviser(sampleRate: sampleRate, seed: seed, parameters: parameters, mode: mode)
    improviser.load(model)
    let engine = ImprovisationEngine(
        listener: try StreamingListener(sampleRate: sampleRate, fftProvider: ReferenceFFTProvider()),
        improviser: improviser, outputMode: .standard(channels: .default))
    var messages = engine.start(at: 0)
    var phrases: [Phrase] = []
    var start = 0
    while start < samples.count {
        let end = min(samples.count, start + 256)
        let block = AudioBlock(
            startFrame: FrameTime(start), sampleRate: sampleRate, samples: Array(samples[start..<end]))
        phrases += engine.process(block).phrases
        messages += engine.popDue(before: block.endFrame)
        start = end
    }
    phrases += engine.finishInput().phrases
    messages += engine.popDue(before: .max)
    messages += engine.panic(at: engine.currentFrame + 48_000 * 30)
    return (messages, phrases)
}

@Suite("Improvisation engine")
struct EngineTests {
    let melody = SyntheticMelody.randomMelody(count: 40, seed: 11, low: 55, high: 79)

    @Test("the agent answers, and every note-on is paired with a later note-off")
    func answersWithPairedNotes() throws {
        let (messages, phrases) = try perform(notes: melody, seed: 1)
        #expect(!phrases.isEmpty)
        let report = NotePairing.pair(messages)
        #expect(report.pairs.count == phrases.reduce(0) { $0 + $1.notes.count })
        #expect(report.unpairedNoteOnIndices.isEmpty)
        #expect(report.overlappingNoteOnIndices.isEmpty)
    }

    @Test("the same seed gives the same answer; another seed another one")
    func deterministic() throws {
        let first = try perform(notes: melody, seed: 5).messages
        let again = try perform(notes: melody, seed: 5).messages
        let other = try perform(notes: melody, seed: 6).messages
        #expect(first == again)
        #expect(first != other)
    }

    @Test("notes stay inside the register and velocity ranges")
    func registerAndVelocity() throws {
        var parameters = AgentParameters()
        try parameters.set([(name: "melody_low", value: 70), (name: "melody_high", value: 84)])
        try parameters.set([(name: "bass_low", value: 70), (name: "bass_high", value: 84)])
        try parameters.set([(name: "velocity_low", value: 50), (name: "velocity_high", value: 60)])
        try parameters.set("density", to: 1)
        let (messages, _) = try perform(notes: melody, seed: 3, parameters: parameters)
        let noteOns = messages.filter(\.message.isNoteOn)
        #expect(!noteOns.isEmpty)
        #expect(noteOns.allSatisfy { (70...84).contains(Int($0.message.data1)) })
        #expect(noteOns.allSatisfy { (50...60).contains(Int($0.message.data2)) })
    }

    @Test("answers are made of the corpus: pitch classes come from the melody, walked state by state")
    func answersComeFromCorpus() throws {
        let (_, phrases) = try perform(notes: melody, seed: 2)
        let corpusClasses = Set(melody.map { $0.midi % 12 })
        for phrase in phrases {
            #expect(phrase.steps.count == phrase.notes.count)
            for note in phrase.notes { #expect(corpusClasses.contains(Int(note.pitch) % 12)) }
            #expect(zip(phrase.notes, phrase.notes.dropFirst()).allSatisfy { $0.startFrame < $1.startFrame })
        }
    }

    @Test("listen mode plays nothing")
    func listenMode() throws {
        let (messages, phrases) = try perform(notes: melody, seed: 1, mode: .listen)
        #expect(phrases.isEmpty)
        #expect(messages.allSatisfy { !$0.message.isNoteOn })
    }
}

@Suite("Engine commands")
struct EngineCommandTests {
    @Test("learning adds what is heard to the memory while the agent plays; model swaps and panics flush notes")
    func learningAndSwaps() throws {
        let sampleRate = 48_000.0
        let noteCount = 20
        let (model, samples) = try trainedModel(sampleRate: sampleRate, notes: noteCount, seed: 21)

        var improviser = Improviser(sampleRate: sampleRate, seed: 1)
        improviser.load(model)
        let engine = ImprovisationEngine(
            listener: try StreamingListener(sampleRate: sampleRate, fftProvider: ReferenceFFTProvider()),
            improviser: improviser, outputMode: .standard(channels: .default))
        var messages = engine.start(at: 0)
        _ = engine.apply(.setLearning(true), at: 0)
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + 512)
            let block = AudioBlock(
                startFrame: FrameTime(start), sampleRate: sampleRate, samples: Array(samples[start..<end]))
            _ = engine.process(block)
            messages += engine.popDue(before: block.endFrame)
            start = end
        }
        _ = engine.finishInput()
        let grown = try #require(engine.improviser.model)
        #expect(grown.events.count >= model.events.count + noteCount - 2)
        #expect(grown.oracle.inputCount == grown.events.count)

        // A model swap and a panic release everything: every note-on so far has its note-off.
        messages += engine.popDue(before: engine.currentFrame)
        messages += engine.apply(.replaceModel(name: "other", model: model), at: engine.currentFrame)
        #expect(engine.modelName == "other")
        #expect(engine.activeNoteCount == 0)
        #expect(NotePairing.pair(messages).unpairedNoteOnIndices.isEmpty)
        let panic = engine.apply(.panic, at: engine.currentFrame)
        #expect(panic.contains { $0.message.kind == 0xB0 && $0.message.data1 == 120 })
        _ = engine.apply(.setTransport(running: false), at: engine.currentFrame)
        #expect(engine.transportRunning == false)
    }
}
