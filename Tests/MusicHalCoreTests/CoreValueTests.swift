import MusicHalCore
import Testing

@Suite("Core value types")
struct CoreValueTests {
    @Test("the sample clock converts frames and seconds both ways")
    func sampleClock() {
        let clock = SampleClock(sampleRate: 48_000)
        #expect(clock.seconds(48_000) == 1)
        #expect(clock.frames(0.5) == 24_000)
        #expect(clock.frames(-1) == 0)
        #expect(clock.frames(.nan) == 0)
        #expect(clock.seconds(signed: -24_000) == -0.5)
    }

    @Test("MIDI messages encode the bytes the wire expects")
    func midiBytes() {
        #expect(MIDIMessage.noteOn(channel: 0, note: 60, velocity: 100).bytes == [0x90, 0x3C, 0x64])
        #expect(MIDIMessage.noteOff(channel: 15, note: 60).bytes == [0x8F, 0x3C, 0x40])
        #expect(MIDIMessage.controlChange(channel: 1, controller: 123, value: 0).bytes == [0xB1, 0x7B, 0x00])
        #expect(MIDIMessage.programChange(channel: 2, program: 5).bytes == [0xC2, 0x05])
        #expect(MIDIMessage.channelPressure(channel: 3, pressure: 64).bytes == [0xD3, 0x40])
        #expect(MIDIMessage.pitchBend(channel: 0, value: 8192).bytes == [0xE0, 0x00, 0x40])
        #expect(MIDIMessage.pitchBend(channel: 0, value: 16383).bytes == [0xE0, 0x7F, 0x7F])
        #expect(MIDIMessage.noteOn(channel: 0, note: 60, velocity: 100).description == "90 3C 64")
    }

    @Test("a note-on never carries velocity 0, which receivers would read as a note-off")
    func noteOnVelocityClamped() {
        #expect(MIDIMessage.noteOn(channel: 0, note: 60, velocity: 0).data2 == 1)
        #expect(MIDIMessage.noteOn(channel: 0, note: 60, velocity: 200).data2 == 127)
        #expect(MIDIMessage.noteOn(channel: 4, note: 1, velocity: 1).isNoteOn)
        #expect(MIDIMessage.noteOff(channel: 4, note: 1).isNoteOff)
        #expect(MIDIMessage.noteOff(channel: 4, note: 1).channel == 4)
    }

    @Test("notes keep velocity in 1...127 and last at least one frame")
    func noteClamps() {
        let note = Note(pitch: 200, velocity: 0, startFrame: 10, durationFrames: 0)
        #expect(note.pitch == 127)
        #expect(note.velocity == 1)
        #expect(note.durationFrames == 1)
        #expect(note.endFrame == 11)
    }

    @Test("musical events report their nearest note and its deviation in cents")
    func eventPitch() {
        let event = MusicalEvent(
            onsetFrame: 100, offsetFrame: 50, midiPitch: 60.25, f0Hz: 265, pitchConfidence: 0.9, pitches: [60],
            velocity: 80, levelDB: -12, interOnsetFrames: 0, centroidHz: 800, features: FeatureVector([0, 1]))
        #expect(event.midiNote == 60)
        #expect(abs(event.cents - 25) < 1e-9)
        #expect(event.durationFrames == 0)  // an offset before the onset never underflows
        #expect(FeatureVector([1, .nan]).isFinite == false)
    }

    @Test("the seeded generator is reproducible and uniform enough", arguments: [0, 1, 42] as [UInt64])
    func seededGenerator(seed: UInt64) {
        var a = SeededRandomGenerator(seed: seed)
        var b = SeededRandomGenerator(seed: seed)
        var c = SeededRandomGenerator(seed: seed &+ 1)
        let sequenceA = (0..<100).map { _ in a.next() }
        #expect(sequenceA == (0..<100).map { _ in b.next() })
        #expect(sequenceA != (0..<100).map { _ in c.next() })
        var histogram = [Int](repeating: 0, count: 10)
        var d = SeededRandomGenerator(seed: seed)
        for _ in 0..<10_000 {
            let u = d.nextUnit()
            #expect(u >= 0 && u < 1)
            histogram[Int(u * 10)] += 1
        }
        #expect(histogram.allSatisfy { $0 > 850 && $0 < 1150 })
    }
}
