import AudioFeatures
import ModelFormat
import MusicHalCore
import OracleCore
import TestSignals
import Testing
import Training

/// Feeds `samples` to `trainer` as one source in blocks.
func feed(_ trainer: ModelTrainer, _ samples: [Float], name: String, sampleRate: Double) throws {
    try trainer.beginSource(name: name, contentHash: "test:\(name)")
    var start = 0
    while start < samples.count {
        let end = min(samples.count, start + 4096)
        try trainer.feed(
            AudioBlock(startFrame: FrameTime(start), sampleRate: sampleRate, samples: Array(samples[start..<end])))
        start = end
    }
    try trainer.endSource()
}

@Suite("Model training")
struct ModelTrainerTests {
    let sampleRate = 48_000.0

    @Test("a melody becomes one event per note, an oracle over them, and a summary")
    func trainsMelody() throws {
        let notes = SyntheticMelody.randomMelody(count: 40, seed: 4)
        let trainer = ModelTrainer(
            analysisSampleRate: sampleRate, threshold: .fixed(0.5), fftProvider: ReferenceFFTProvider())
        try feed(trainer, SyntheticMelody.render(notes, sampleRate: sampleRate), name: "a.wav", sampleRate: sampleRate)
        let (model, summary) = try trainer.finish(musicHalVersion: "test", createdAt: "now")
        #expect(abs(summary.events - notes.count) <= 2)
        #expect(summary.states == summary.events + 1)
        #expect(model.oracle.inputCount == model.events.count)
        #expect(summary.threshold == 0.5)
        #expect(summary.symbols == model.oracle.labelCount)
        #expect(summary.maxLRS == model.oracle.maxLRS)
        #expect(model.metadata.sources.map(\.name) == ["a.wav"])
        #expect(model.metadata.sources[0].eventCount == model.events.count)
        // The listener settings that decide where events start are recorded with the model.
        #expect(model.metadata.parameters["hop_seconds"] == "0.005")
        #expect(model.metadata.parameters["legato_semitones"] == "0.75")
        #expect(model.metadata.parameters["offset_drop_db"] == "9.0")
        #expect(model.metadata.parameters["backtrack_rise_db"] == "6.0")
        #expect(model.metadata.parameters["vouching_rise_db"] == "9.0")
        #expect(
            abs(summary.audioSeconds - Double(SyntheticMelody.render(notes, sampleRate: sampleRate).count) / sampleRate)
                < 0.01)
    }

    @Test("automatic threshold picks the information-rate optimum over the grid")
    func automaticThreshold() throws {
        let notes =
            SyntheticMelody.scale
            + SyntheticMelody.scale.map {
                SyntheticNote(onset: $0.onset + 8, duration: $0.duration, midi: $0.midi)
            }
        let trainer = ModelTrainer(
            analysisSampleRate: sampleRate, threshold: .automatic(.musicHalDefault), fftProvider: ReferenceFFTProvider()
        )
        try feed(
            trainer, SyntheticMelody.render(notes, sampleRate: sampleRate), name: "scale.wav", sampleRate: sampleRate)
        let (model, summary) = try trainer.finish(musicHalVersion: "test", createdAt: "now")
        let frames = model.events.map { $0.features.values.map(Double.init) }
        let search = try findThreshold(frames: frames, grid: .musicHalDefault)
        #expect(summary.threshold == search.threshold)
        #expect(model.metadata.thresholdWasAutomatic)
        // The repeated scale is recognised as a repetition: long repeated suffixes.
        #expect(summary.maxLRS >= 10)
    }

    @Test("several recordings share one corpus timeline, in order")
    func severalSources() throws {
        let trainer = ModelTrainer(
            analysisSampleRate: sampleRate, threshold: .fixed(0.4), fftProvider: ReferenceFFTProvider())
        let first = SyntheticMelody.render(SyntheticMelody.scale, sampleRate: sampleRate)
        try feed(trainer, first, name: "one.wav", sampleRate: sampleRate)
        try feed(trainer, first, name: "two.wav", sampleRate: sampleRate)
        let (model, _) = try trainer.finish(musicHalVersion: "test", createdAt: "now")
        #expect(model.metadata.sources.map(\.name) == ["one.wav", "two.wav"])
        let firstCount = model.metadata.sources[0].eventCount
        #expect(firstCount + model.metadata.sources[1].eventCount == model.events.count)
        #expect(zip(model.events, model.events.dropFirst()).allSatisfy { $0.onsetFrame < $1.onsetFrame })
        #expect(model.events[firstCount].onsetFrame > FrameTime(first.count))
    }

    @Test("silence trains nothing and says so")
    func silence() throws {
        let trainer = ModelTrainer(
            analysisSampleRate: sampleRate, threshold: .fixed(0.4), fftProvider: ReferenceFFTProvider())
        try feed(trainer, [Float](repeating: 0, count: 48_000), name: "silence.wav", sampleRate: sampleRate)
        #expect(throws: TrainingError.noEvents) { try trainer.finish(musicHalVersion: "test", createdAt: "now") }
    }

    @Test("audio at another rate than the analysis rate is refused")
    func wrongRate() throws {
        let trainer = ModelTrainer(
            analysisSampleRate: sampleRate, threshold: .fixed(0.4), fftProvider: ReferenceFFTProvider())
        try trainer.beginSource(name: "x", contentHash: "x")
        #expect(throws: TrainingError.sampleRateMismatch(expected: 48_000, found: 44_100)) {
            try trainer.feed(AudioBlock(startFrame: 0, sampleRate: 44_100, samples: [0, 0]))
        }
    }
}
