import AudioFeatures
import MusicHalCore
import TestSignals
import Testing

/// Feeds timed messages (in frame order) to a MIDI listener, lets time run to `end`, and splits what it reported.
private func hear(
    _ messages: [TimedMIDIMessage], until end: FrameTime? = nil, finish: Bool = false,
    settings: MIDIListenerSettings = MIDIListenerSettings(), sampleRate: Double = 48_000
) -> (events: [MusicalEvent], onsets: [FrameTime], listener: MIDINoteListener) {
    var listener = MIDINoteListener(sampleRate: sampleRate, settings: settings)
    var outputs: [ListenerOutput] = []
    for message in messages { listener.receive(message, into: &outputs) }
    if let end { listener.advance(to: end, into: &outputs) }
    if finish { listener.finish(into: &outputs) }
    let (events, onsets) = separate(outputs)
    return (events, onsets, listener)
}

private func on(_ frame: FrameTime, _ note: UInt8, velocity: UInt8 = 100, channel: UInt8 = 0) -> TimedMIDIMessage {
    TimedMIDIMessage(frame: frame, message: .noteOn(channel: channel, note: note, velocity: velocity))
}

private func off(_ frame: FrameTime, _ note: UInt8, channel: UInt8 = 0) -> TimedMIDIMessage {
    TimedMIDIMessage(frame: frame, message: .noteOff(channel: channel, note: note))
}

private func pedal(_ frame: FrameTime, down: Bool, channel: UInt8 = 0) -> TimedMIDIMessage {
    TimedMIDIMessage(frame: frame, message: .controlChange(channel: channel, controller: 64, value: down ? 127 : 0))
}

private func wire(_ bytes: [UInt8]) -> MIDIMessage? { bytes.withUnsafeBufferPointer { MIDIMessage(wire: $0) } }

@Suite("MIDI input listener (sample time)")
struct MIDINoteListenerTests {
    @Test("one note: an onset at the note-on frame at once, an event with the audio path's features at the note-off")
    func singleNote() throws {
        var listener = MIDINoteListener(sampleRate: 48_000)
        var outputs: [ListenerOutput] = []
        listener.receive(on(1000, 60, velocity: 100), into: &outputs)
        #expect(outputs == [.onset(frame: 1000, levelDB: MIDINoteListener.levelDB(velocity: 100))])
        #expect(listener.currentPitch == 60)
        listener.advance(to: 24_000, into: &outputs)
        #expect(outputs.count == 1, "the event is not complete while the key is down")
        listener.receive(off(25_000, 60), into: &outputs)
        let event = try #require(outputs.last.flatMap { if case .event(let e) = $0 { e } else { nil } })
        #expect(listener.currentPitch == nil)

        #expect(event.onsetFrame == 1000 && event.offsetFrame == 25_000)
        #expect(event.midiPitch == 60 && event.midiNote == 60 && event.cents == 0)
        #expect(event.pitches == [60] && event.velocity == 100 && event.pitchConfidence == 1)
        #expect(event.interOnsetFrames == 0)
        #expect(abs(event.f0Hz! - 261.6256) < 0.001)
        // Velocity → level is the inverse of the audio listener's level → velocity: 127 × (level + 60) / 57.
        #expect(UInt8((127 * (event.levelDB + 60) / 57).rounded()) == 100)
        // The feature vector is exactly what the audio path's code makes of these inputs.
        var chroma = [Float](repeating: 0, count: 12)
        chroma[0] = 1
        let expected = EventFeatureLayout.features(
            EventFeatureLayout.Inputs(
                chroma: chroma, pitches: [60], f0: event.f0Hz, previousF0: nil, confidence: 1,
                centroid: event.centroidHz, levelDB: event.levelDB, interOnset: 0,
                previousInterOnset: 0))
        #expect(event.features == expected)
        let values = event.features.values
        #expect(values.count == EventFeatureLayout.dimension)
        #expect(abs(values[EventFeatureLayout.brightness] - 0.35) < 1e-6)
        #expect(values[EventFeatureLayout.polyphony] == 0 && values[EventFeatureLayout.harmonicity] == 1)
        #expect(abs(values[EventFeatureLayout.loudness] - Float(0.95 * 100 / 127.0)) < 1e-6)
    }

    @Test("Note On with velocity 0 decodes as Note Off and ends the note")
    func velocityZeroIsNoteOff() throws {
        let decoded = try #require(wire([0x93, 60, 0]))
        #expect(decoded == .noteOff(channel: 3, note: 60, velocity: 64))
        let (events, onsets, _) = hear([
            on(0, 60, channel: 3), TimedMIDIMessage(frame: 4800, message: decoded),
        ])
        #expect(onsets == [0])
        #expect(events.map(\.offsetFrame) == [4800])
    }

    @Test("wire decoding keeps channel messages and refuses the rest")
    func wireDecoding() {
        #expect(wire([0x90, 60, 100]) == .noteOn(channel: 0, note: 60, velocity: 100))
        #expect(wire([0x8F, 127, 0]) == .noteOff(channel: 15, note: 127, velocity: 0))
        #expect(wire([0xB0, 64, 127]) == .controlChange(channel: 0, controller: 64, value: 127))
        #expect(wire([0xC2, 5]) == .programChange(channel: 2, program: 5))
        #expect(wire([0xD1, 90]) == .channelPressure(channel: 1, pressure: 90))
        #expect(wire([0xE0, 0x00, 0x40]) == .pitchBend(channel: 0, value: 8192))
        // Truncated, data byte out of range, running status, poly pressure, system and real-time messages.
        for bad: [UInt8] in [[0x90, 60], [0x90, 0x80, 1], [60, 100], [0xA0, 60, 10], [0xF0, 1, 0xF7], [0xF8], []] {
            #expect(wire(bad) == nil, "\(bad)")
        }
    }

    @Test("notes starting within 30 ms are one chord event; a later note starts the next event and ends it")
    func chords() throws {
        let (events, onsets, _) = hear(
            [on(1000, 60), on(1200, 64, velocity: 80), on(2400, 67, velocity: 90), on(2500, 72), off(2600, 60)],
            until: 4000)
        // 30 ms at 48 kHz is 1440 frames: 60, 64 and 67 (1400 frames after 60) share an onset; 72 (1500) does not.
        #expect(onsets == [1000, 2500])
        let chord = try #require(events.first)
        #expect(events.count == 1, "72 still sounds")
        #expect(chord.onsetFrame == 1000 && chord.offsetFrame == 2500)
        #expect(chord.pitches == [60, 64, 67])
        #expect(chord.midiPitch == 67, "the top voice carries the melody, as on the audio path")
        #expect(chord.pitchConfidence == 0.5)
        #expect(chord.velocity == 100)
        let values = chord.features.values
        #expect(abs(values[EventFeatureLayout.polyphony] - Float(2.0 / 3)) < 1e-6)
        #expect(abs(values[EventFeatureLayout.chordSpan] - Float(7.0 / 24)) < 1e-6)
        // Chroma weighted by velocity: C 100, E 80, G 90, L2-normalised.
        let squares: Float = 100 * 100 + 80 * 80 + 90 * 90
        let norm = squares.squareRoot()
        #expect(abs(values[0] - 100 / norm) < 1e-6 && abs(values[4] - 80 / norm) < 1e-6)
        #expect(abs(values[7] - 90 / norm) < 1e-6 && values[2] == 0)
    }

    @Test("a melody carries inter-onset intervals, melodic steps and rhythm ratios")
    func melody() throws {
        let (events, _, _) = hear(
            [on(0, 60), off(11_000, 60), on(12_000, 62), on(18_000, 64), off(18_100, 62), off(30_000, 64)],
            until: 40_000)
        #expect(events.map(\.onsetFrame) == [0, 12_000, 18_000])
        #expect(events.map(\.offsetFrame) == [11_000, 18_000, 30_000], "legato: the next onset ends an event")
        #expect(events.map(\.interOnsetFrames) == [0, 12_000, 6000])
        let second = events[1].features.values
        let third = events[2].features.values
        #expect(abs(second[EventFeatureLayout.melodicRatio] - Float(2.0 / 12)) < 1e-6)
        #expect(second[EventFeatureLayout.rhythmRatio] == 0, "no previous interval yet")
        #expect(abs(third[EventFeatureLayout.rhythmRatio] - (-0.5)) < 1e-6, "log2(6000 / 12000) / 2")
    }

    @Test("the sustain pedal holds released notes until it comes up")
    func sustainPedal() throws {
        let held = hear([pedal(0, down: true), on(100, 60), off(4800, 60), pedal(9600, down: false)], until: 20_000)
        #expect(held.events.map(\.offsetFrame) == [9600])
        let dry = hear([on(100, 60), off(4800, 60), pedal(9600, down: false)], until: 20_000)
        #expect(dry.events.map(\.offsetFrame) == [4800])
        // A pedal on another channel holds nothing here.
        let other = hear([pedal(0, down: true, channel: 1), on(100, 60), off(4800, 60)], until: 20_000)
        #expect(other.events.map(\.offsetFrame) == [4800])
        // While the pedal holds a note, it colours the next event's chroma.
        let colour = hear([pedal(0, down: true), on(100, 48), off(2000, 48), on(24_000, 64)], until: 30_000)
        #expect(colour.events.count == 1)
        #expect(colour.listener.soundingNoteCount == 2)
    }

    @Test("notes still sounding from before colour an event's chroma at half weight; its pitches are its own")
    func backgroundNotes() throws {
        let (events, _, _) = hear([on(0, 48), on(24_000, 64), off(30_000, 64), off(40_000, 48)], until: 50_000)
        #expect(events.map(\.pitches) == [[48], [64]])
        #expect(events[0].offsetFrame == 24_000)
        let chroma = events[1].features.values
        let norm = Float(1.25).squareRoot()
        #expect(abs(chroma[4] - 1 / norm) < 1e-6)
        #expect(abs(chroma[0] - 0.5 / norm) < 1e-6)
    }

    @Test("a note held past the longest event is closed there; finish() closes what is left")
    func longestEvent() {
        var settings = MIDIListenerSettings()
        settings.maximumEventSeconds = 2
        let long = hear([on(0, 60)], until: 96_000 + 10, settings: settings)
        #expect(long.events.map(\.offsetFrame) == [96_000])
        let unfinished = hear([on(0, 60)], until: 1000, finish: true)
        #expect(unfinished.events.map(\.offsetFrame) == [1000])
    }

    @Test("other channels, unknown note-offs, retriggers and All Notes Off")
    func robustness() {
        var settings = MIDIListenerSettings()
        settings.channels = [0]
        let filtered = hear(
            [on(0, 60, channel: 5), TimedMIDIMessage(frame: 10, message: .pitchBend(channel: 0, value: 9000))],
            until: 48_000, settings: settings)
        #expect(filtered.events.isEmpty && filtered.onsets.isEmpty)
        #expect(filtered.listener.ignoredMessageCount == 2)

        // A note-off for a key never struck changes nothing; a key struck twice counts once and ends once.
        let stray = hear([off(0, 61), on(10, 60), on(5000, 60), off(9000, 60)], until: 20_000)
        #expect(stray.onsets == [10, 5000])
        #expect(stray.events.map(\.offsetFrame) == [5000, 9000])
        #expect(stray.listener.soundingNoteCount == 0)

        let allOff = hear(
            [
                on(0, 60), on(10, 64),
                TimedMIDIMessage(frame: 4000, message: .controlChange(channel: 0, controller: 123, value: 0)),
            ],
            until: 20_000)
        #expect(allOff.events.map(\.offsetFrame) == [4000])
        #expect(allOff.listener.soundingNoteCount == 0)
    }

    @Test("releaseAll forgets keys whose note-offs were lost and ends the open event")
    func releaseAll() {
        var listener = MIDINoteListener(sampleRate: 48_000)
        var outputs: [ListenerOutput] = []
        for message in [pedal(0, down: true), on(10, 60), on(4000, 64)] { listener.receive(message, into: &outputs) }
        listener.releaseAll(at: 9000, into: &outputs)
        #expect(listener.soundingNoteCount == 0 && listener.currentPitch == nil)
        func ends() -> [FrameTime] {
            outputs.compactMap { output -> FrameTime? in
                if case .event(let event) = output { return event.offsetFrame }
                return nil
            }
        }
        #expect(ends() == [4000, 9000])
        // The pedal is up again: a new note ends at its own note-off.
        for message in [on(20_000, 62), off(22_000, 62)] { listener.receive(message, into: &outputs) }
        listener.advance(to: 30_000, into: &outputs)
        #expect(ends() == [4000, 9000, 22_000])
    }

    @Test("MIDI events sit next to the audio listener's events of the same notes in feature space")
    func matchesAudioPerception() throws {
        let sampleRate = 48_000.0
        let notes = SyntheticMelody.randomMelody(count: 24, seed: 5, low: 55, high: 79)
        let audio = try listen(SyntheticMelody.render(notes, sampleRate: sampleRate), sampleRate: sampleRate).events
        var messages: [TimedMIDIMessage] = []
        for note in notes {
            let start = FrameTime(note.onset * sampleRate)
            let velocity = UInt8(max(1, min(127, (127 * note.amplitude).rounded())))
            messages.append(on(start, UInt8(note.midi), velocity: velocity))
            messages.append(off(start + FrameTime(note.duration * sampleRate), UInt8(note.midi)))
        }
        messages.sort { $0.frame < $1.frame }
        let midi = hear(messages, finish: true).events
        #expect(midi.count == notes.count)
        #expect(midi.map(\.midiNote) == notes.map(\.midi))
        // Each MIDI event's nearest audio event (Euclidean, as the oracle compares) plays the same note.
        func distance(_ a: MusicalEvent, _ b: MusicalEvent) -> Float {
            zip(a.features.values, b.features.values).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
        let matched = midi.filter { event in
            let nearest = audio.min { distance(event, $0) < distance(event, $1) }
            return nearest?.midiNote == event.midiNote
        }.count
        print("MIDI vs audio perception: \(matched) of \(midi.count) notes have the same note's audio event nearest")
        #expect(Double(matched) / Double(midi.count) >= 0.9, "\(matched) of \(midi.count) nearest audio events agree")
    }
}
