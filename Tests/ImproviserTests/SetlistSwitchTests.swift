import AudioFeatures
import Improviser
import MIDICore
import ModelFormat
import MusicHalCore
import TestSignals
import Testing
import Training

/// A short model trained on a synthetic melody, and the melody's audio to play the engine with.
func trainedModel(sampleRate: Double, notes count: Int = 24, seed: UInt64 = 31) throws
    -> (model: MusicHalModel, samples: [Float])
{
    let notes = SyntheticMelody.randomMelody(count: count, seed: seed, low: 55, high: 79)
    let samples = SyntheticMelody.render(notes, sampleRate: sampleRate)
    let trainer = ModelTrainer(
        analysisSampleRate: sampleRate, threshold: .fixed(0.6), fftProvider: ReferenceFFTProvider())
    try trainer.beginSource(name: "m", contentHash: "t")
    try trainer.feed(AudioBlock(startFrame: 0, sampleRate: sampleRate, samples: samples))
    try trainer.endSource()
    return (try trainer.finish(musicHalVersion: "test", createdAt: "now").model, samples)
}

/// A command's kind, for comparing batches (models are not Equatable).
private func kind(_ command: EngineCommand) -> String {
    switch command {
    case .replaceModel(let name, _): "replaceModel(\(name ?? "nil"))"
    case .panic: "panic"
    case .setMode(let mode): "setMode(\(mode.rawValue))"
    case .setParameters: "setParameters"
    case .selectPatch(let patch): "selectPatch(\(patch.program))"
    case .startArc(let minutes, let learned): "startArc(\(minutes), \(learned))"
    case .stopArc: "stopArc"
    default: "other"
    }
}

@Suite("Setlist switch")
struct SetlistSwitchTests {
    @Test("a piece's batch: silence first (model swap or panic), then mode, parameters, patch, arc")
    func batchOrder() throws {
        let (model, _) = try trainedModel(sampleRate: 48_000)
        let full = try SetlistPiece(
            name: "Ballad", model: "ballad", mode: .lead, parameters: ["density": 0.3], durationMinutes: 6.5,
            patch: try SynthPatch(bankMSB: 1, program: 40))
        let parameters = try full.parameters(over: AgentParameters())
        #expect(
            full.engineCommands(loading: model, parameters: parameters).map(kind) == [
                "replaceModel(ballad)", "setMode(lead)", "setParameters", "selectPatch(40)", "startArc(6.5, false)",
            ])
        // The same model stays loaded (with what it learned): a plain panic starts the piece instead.
        #expect(
            full.engineCommands(loading: nil, parameters: parameters).map(kind) == [
                "panic", "setMode(lead)", "setParameters", "selectPatch(40)", "startArc(6.5, false)",
            ])
        // No mode keeps the current one; no patch sends none; no duration ends a running arc.
        let bare = try SetlistPiece(name: "", model: "storm")
        #expect(
            bare.engineCommands(loading: model, parameters: AgentParameters()).map(kind) == [
                "replaceModel(storm)", "setParameters", "stopArc",
            ])
    }

    @Test("a piece's parameters go on top of the base, checked together")
    func parametersOverBase() throws {
        var base = AgentParameters()
        try base.set([(name: "melody_low", value: 40), (name: "melody_high", value: 80), (name: "density", value: 0.9)])
        let piece = try SetlistPiece(name: "x", model: "m", parameters: ["melody_low": 60, "temperature": 0.5])
        let parameters = try piece.parameters(over: base)
        #expect(try parameters.value(of: "melody_low") == 60)
        #expect(try parameters.value(of: "melody_high") == 80, "not named by the piece: the base's value")
        #expect(try parameters.value(of: "density") == 0.9)
        #expect(try parameters.value(of: "temperature") == 0.5)
        // Alone fine, but less than an octave below the base's melody_high: refused with the reason.
        let clash = try SetlistPiece(name: "x", model: "m", parameters: ["melody_low": 75])
        #expect(throws: ParameterError.self) { try clash.parameters(over: base) }
    }

    @Test("the patch goes on the melody channel in standard output and on the manager channel in MPE")
    func patchChannel() throws {
        let patch = try SynthPatch(bankMSB: 0, bankLSB: 5, program: 40)
        let standard = MIDIOutputMode.standard(
            channels: try VoiceChannels(melodyChannelNumber: 3, bassChannelNumber: 4))
        #expect(patch.messages(for: standard).map(\.description) == ["B2 00 00", "B2 20 05", "C2 28"])
        #expect(
            patch.messages(for: .mpe(try MPEZone(.lower))).map(\.description) == ["B0 00 00", "B0 20 05", "C0 28"])
        #expect(
            patch.messages(for: .mpe(try MPEZone(.upper, memberCount: 7))).map(\.description) == [
                "BF 00 00", "BF 20 05", "CF 28",
            ])
    }

    @Test("mid-phrase, the engine sends the panic and then the bank select and program change at one frame, in order")
    func engineSendsPanicThenPatch() throws {
        let sampleRate = 48_000.0
        let (model, samples) = try trainedModel(sampleRate: sampleRate)
        var parameters = AgentParameters()
        try parameters.set([(name: "density", value: 1), (name: "give_space", value: 0)])
        var improviser = Improviser(sampleRate: sampleRate, seed: 4, parameters: parameters)
        improviser.load(model)
        let channels = try VoiceChannels(melodyChannelNumber: 2, bassChannelNumber: 3)
        let engine = ImprovisationEngine(
            listener: try StreamingListener(sampleRate: sampleRate, fftProvider: ReferenceFFTProvider()),
            improviser: improviser, outputMode: .standard(channels: channels))
        var sent = engine.start(at: 0)
        // Play until the agent has notes sounding: the switch must end them first.
        var start = 0
        while start < samples.count && (engine.activeNoteCount == 0 || start < 48_000) {
            let end = min(samples.count, start + 256)
            _ = engine.process(
                AudioBlock(startFrame: FrameTime(start), sampleRate: sampleRate, samples: Array(samples[start..<end])))
            sent += engine.popDue(before: FrameTime(end))
            start = end
        }
        let sounding = engine.activeNoteCount
        try #require(sounding > 0, "the agent never played")
        let switchFrame = engine.currentFrame

        let piece = try SetlistPiece(
            name: "Ballad", model: "ballad", mode: .lead, parameters: ["density": 0.3], durationMinutes: 2,
            patch: try SynthPatch(bankMSB: 1, bankLSB: 2, program: 40))
        var batch: [TimedMIDIMessage] = []
        for command in piece.engineCommands(loading: model, parameters: try piece.parameters(over: parameters)) {
            batch += engine.apply(command, at: switchFrame)
        }
        // Everything at the switch frame: note-offs of the sounding notes, the flush on both channels, then the patch
        // on the melody channel (2 → wire 1), byte for byte.
        #expect(batch.allSatisfy { $0.frame == switchFrame })
        let bytes = batch.map(\.message.description)
        #expect(batch.prefix(sounding).allSatisfy { $0.message.isNoteOff })
        #expect(
            Array(bytes.dropFirst(sounding)) == [
                "B1 40 00", "B1 7B 00", "B1 78 00", "B2 40 00", "B2 7B 00", "B2 78 00",
                "B1 00 01", "B1 20 02", "C1 28",
            ])
        #expect(engine.activeNoteCount == 0 && engine.modelName == "ballad")
        #expect(engine.improviser.mode == .lead && engine.improviser.parameters.density == 0.3)
        #expect(engine.improviser.arc?.startFrame == switchFrame)
        #expect(engine.improviser.arc?.durationFrames == FrameTime(2 * 60 * sampleRate))
        // Nothing the old piece scheduled comes out after the switch.
        let after = engine.popDue(before: switchFrame + 4800)
        #expect(after.allSatisfy { $0.frame >= switchFrame })
        #expect(NotePairing.pair(sent + batch).unpairedNoteOnIndices.isEmpty, "a note of the old piece hangs")
    }

    @Test("in MPE the patch follows the zone's flush on the manager channel")
    func mpePatchAfterFlush() throws {
        let sampleRate = 48_000.0
        let engine = ImprovisationEngine(
            listener: try StreamingListener(sampleRate: sampleRate, fftProvider: ReferenceFFTProvider()),
            improviser: Improviser(sampleRate: sampleRate, seed: 1),
            outputMode: .mpe(try MPEZone(.upper, memberCount: 2)))
        _ = engine.start(at: 0)
        _ = engine.popDue(before: 1024)
        var batch = engine.apply(.panic, at: 512)
        batch += engine.apply(.selectPatch(try SynthPatch(program: 7)), at: 512)
        // Stamped at the first frame not yet handed out (1024), never before the flush.
        #expect(batch.allSatisfy { $0.frame == 1024 })
        #expect(batch.last?.message.description == "CF 07")
        #expect(batch.dropLast().allSatisfy { $0.message.kind != 0xC0 })
    }
}
