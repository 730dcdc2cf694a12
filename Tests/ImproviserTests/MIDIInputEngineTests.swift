import AudioFeatures
import Improviser
import MIDICore
import ModelFormat
import MusicHalCore
import OracleCore
import TestSignals
import Testing
import Training

/// A model trained on a rendered melody (the audio path), for the agent to answer MIDI input from.
private func trainedModel(_ notes: [SyntheticNote], sampleRate: Double) throws -> MusicHalModel {
    let trainer = ModelTrainer(
        analysisSampleRate: sampleRate, threshold: .fixed(0.6), fftProvider: ReferenceFFTProvider())
    try trainer.beginSource(name: "melody", contentHash: "test")
    try trainer.feed(
        AudioBlock(
            startFrame: 0, sampleRate: sampleRate, samples: SyntheticMelody.render(notes, sampleRate: sampleRate)))
    try trainer.endSource()
    return try trainer.finish(musicHalVersion: "test", createdAt: "now").0
}

/// The notes as a keyboard would send them: note-on and note-off messages in frame order.
private func keyboard(_ notes: [SyntheticNote], sampleRate: Double, channel: UInt8 = 0) -> [TimedMIDIMessage] {
    var messages: [TimedMIDIMessage] = []
    for note in notes {
        let start = FrameTime(note.onset * sampleRate)
        let pitch = UInt8(note.midi)
        messages.append(
            TimedMIDIMessage(frame: start, message: .noteOn(channel: channel, note: pitch, velocity: 90)))
        messages.append(
            TimedMIDIMessage(
                frame: start + FrameTime(note.duration * sampleRate), message: .noteOff(channel: channel, note: pitch)))
    }
    return messages.sorted { $0.frame < $1.frame }
}

@Suite("MIDI input through the engine (sample time)")
struct MIDIInputEngineTests {
    let sampleRate = 48_000.0
    let melody = SyntheticMelody.randomMelody(count: 24, seed: 31, low: 55, high: 79)

    private func engine(model: MusicHalModel, parameters: AgentParameters) throws -> ImprovisationEngine {
        var improviser = Improviser(sampleRate: sampleRate, seed: 7, parameters: parameters)
        improviser.load(model)
        return ImprovisationEngine(
            listener: try StreamingListener(sampleRate: sampleRate, fftProvider: ReferenceFFTProvider()),
            improviser: improviser, outputMode: .standard(channels: .default))
    }

    @Test("keyboard notes alone: every onset is answered at its own frame, tracked, and learned when learning is on")
    func answersAndLearnsFromMIDI() throws {
        let model = try trainedModel(melody, sampleRate: sampleRate)
        var parameters = AgentParameters()
        try parameters.set([("give_space", 0), ("density", 1), ("initiative", 0), ("phrase_min", 1), ("phrase_max", 1)])
        let engine = try engine(model: model, parameters: parameters)
        var sent = engine.start(at: 0)
        _ = engine.apply(.setLearning(true), at: 0)
        let played = keyboard(melody, sampleRate: sampleRate)
        let end = (played.last?.frame ?? 0) + FrameTime(sampleRate)
        var phrases: [Phrase] = []
        var heard: [MusicalEvent] = []
        var onsets: [FrameTime] = []
        var remaining = played[...]
        var blockStart: FrameTime = 0
        // 256-frame periods, as the JACK engine loop hands them over: each period's messages with its end.
        while blockStart < end {
            let blockEnd = blockStart + 256
            let due = remaining.prefix { $0.frame < blockEnd }
            remaining = remaining.dropFirst(due.count)
            let activity = engine.processMIDI(Array(due), upTo: blockEnd)
            phrases += activity.phrases
            heard += activity.events
            onsets += activity.onsets
            #expect(activity.midiEvents == activity.events)
            sent += engine.popDue(before: blockEnd)
            blockStart = blockEnd
        }
        heard += engine.finishInput().events
        sent += engine.popDue(before: .max)
        sent += engine.panic(at: engine.currentFrame + FrameTime(30 * sampleRate))

        let noteOns = melody.map { FrameTime($0.onset * sampleRate) }
        #expect(onsets == noteOns)
        #expect(heard.map(\.midiNote) == melody.map(\.midi))
        #expect(engine.midiEventCount == melody.count && engine.eventCount == melody.count)
        // give_space 0 and density 1: the answer to an onset starts at the end of the period that brought it (the
        // earliest frame not yet past). Some onsets find no candidate in the memory (the agent's own choice).
        let periodEnds = Set(noteOns.map { ($0 / 256 + 1) * 256 })
        let atOnce = phrases.filter { $0.reason.contains("answers the onset at once") }
        #expect(atOnce.allSatisfy { periodEnds.contains($0.notes[0].startFrame) })
        #expect(atOnce.count * 4 >= melody.count * 3, "\(atOnce.count) of \(melody.count) onsets answered at once")
        #expect(NotePairing.pair(sent).unpairedNoteOnIndices.isEmpty)
        // The keyboard's events were followed in the memory and learned into it.
        #expect(engine.improviser.trackedState != nil)
        let grown = try #require(engine.improviser.model)
        #expect(grown.events.count == model.events.count + melody.count)
        #expect(grown.oracle.inputCount == grown.events.count)
        #expect(grown.events.suffix(melody.count).map(\.midiNote) == melody.map(\.midi))
    }

    @Test("audio and MIDI together: both are heard, each pass reports them in time order")
    func audioBesideMIDI() throws {
        let model = try trainedModel(melody, sampleRate: sampleRate)
        let engine = try engine(model: model, parameters: AgentParameters())
        _ = engine.start(at: 0)
        let samples = SyntheticMelody.render(melody, sampleRate: sampleRate)
        // The keyboard plays a fifth below, offset by 100 ms, beside the audio melody.
        let shifted = melody.map {
            SyntheticNote(onset: $0.onset + 0.1, duration: $0.duration, midi: $0.midi - 7, amplitude: $0.amplitude)
        }
        var remaining = keyboard(shifted, sampleRate: sampleRate)[...]
        var audioEvents = 0
        var midiEvents = 0
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + 256)
            let block = AudioBlock(
                startFrame: FrameTime(start), sampleRate: sampleRate, samples: Array(samples[start..<end]))
            let due = remaining.prefix { $0.frame < block.endFrame }
            remaining = remaining.dropFirst(due.count)
            let activity = engine.process(block, midi: Array(due))
            let ends = activity.events.map(\.offsetFrame)
            #expect(ends == ends.sorted(), "one pass reports its events by time")
            midiEvents += activity.midiEvents.count
            audioEvents += activity.events.count - activity.midiEvents.count
            start = end
        }
        let last = engine.finishInput()
        midiEvents += last.midiEvents.count
        audioEvents += last.events.count - last.midiEvents.count
        #expect(midiEvents == shifted.count)
        #expect(audioEvents >= melody.count - 2)
        #expect(engine.eventCount == audioEvents + midiEvents && engine.midiEventCount == midiEvents)
    }

    @Test("after an outage of the stream (a JACK reconnect) keys held before it are forgotten")
    func outageReleasesKeys() throws {
        let model = try trainedModel(Array(melody.prefix(8)), sampleRate: sampleRate)
        let engine = try engine(model: model, parameters: AgentParameters())
        _ = engine.start(at: 0)
        let silence = [Float](repeating: 0, count: 256)
        let held = engine.process(
            AudioBlock(startFrame: 0, sampleRate: sampleRate, samples: silence),
            midi: [TimedMIDIMessage(frame: 100, message: .noteOn(channel: 0, note: 67, velocity: 80))])
        #expect(held.onsets == [100] && engine.currentInputPitch == 67)
        // A dropped period is no outage: the key is still down.
        _ = engine.process(AudioBlock(startFrame: 512, sampleRate: sampleRate, samples: silence))
        #expect(engine.currentInputPitch == 67)
        let resumed = engine.process(AudioBlock(startFrame: 3 * 48_000, sampleRate: sampleRate, samples: silence))
        #expect(engine.currentInputPitch == nil)
        #expect(resumed.midiEvents.map(\.offsetFrame) == [768])
    }

    @Test("the status stream's messages are exactly the address table's status fields, in order")
    func statusFieldsMatchTable() {
        var snapshot = StatusSnapshot()
        snapshot.midiInputEvents = 12
        let messages = snapshot.messages(sequence: 1)
        #expect(messages.map(\.address) == ControlAddressTable.statusFields.map(\.0))
        #expect(messages.first { $0.address == "/hal/status/input/midi_events" }?.arguments == [.int(12)])
    }
}
