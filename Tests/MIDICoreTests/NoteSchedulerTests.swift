import MIDICore
import MusicHalCore
import Testing

@Suite("Note scheduler")
struct NoteSchedulerTests {
    private func note(
        _ pitch: UInt8, at start: FrameTime, length: FrameTime, velocity: UInt8 = 100, cents: Double = 0,
        voice: Voice = .melody
    ) -> Note {
        Note(pitch: pitch, cents: cents, velocity: velocity, startFrame: start, durationFrames: length, voice: voice)
    }

    @Test("Standard mode: Note On at the start, Note Off (velocity 0x40) at the end, on the voice's channel")
    func standardNote() {
        var scheduler = NoteScheduler(mode: standardMode(melody: 1, bass: 2), maximumNoteFrames: 10_000)
        scheduler.schedule(note(60, at: 100, length: 50))
        scheduler.schedule(note(36, at: 120, length: 10, velocity: 127, cents: 30, voice: .bass))
        let messages = scheduler.popDue(before: 1000)
        #expect(messages.map(\.frame) == [100, 120, 130, 150])
        #expect(hex(messages) == "90 3C 64 91 24 7F 81 24 40 80 3C 40")
    }

    @Test("A zero velocity becomes 1: a Note On with velocity 0 is never sent")
    func noZeroVelocity() {
        var scheduler = NoteScheduler(mode: standardMode(), maximumNoteFrames: 10_000)
        scheduler.schedule(note(60, at: 0, length: 10, velocity: 0))
        let messages = scheduler.popDue(before: 100)
        #expect(hex(messages) == "90 3C 01 80 3C 40")
    }

    @Test("Note fields changed after creation are clamped again, so no invalid byte is built")
    func mutatedNoteFields() {
        var scheduler = NoteScheduler(mode: standardMode(), maximumNoteFrames: 10_000)
        var wild = note(60, at: 0, length: 10)
        wild.pitch = 200
        wild.velocity = 0
        scheduler.schedule(wild)
        let messages = scheduler.popDue(before: 100)
        #expect(hex(messages) == "90 7F 01 80 7F 40")
    }

    @Test("MPE: bend, CC74 64 and pressure precede the Note On on its member channel, in the same frame")
    func perNoteData() {
        var scheduler = NoteScheduler(mode: .mpe(zone(.lower, members: 2)), maximumNoteFrames: 10_000)
        scheduler.schedule(note(60, at: 10, length: 20, cents: 50))
        let messages = scheduler.popDue(before: 100)
        #expect(hex(messages, atFrame: 10) == "E1 55 40 B1 4A 40 D1 64 91 3C 64")
        #expect(hex(messages, atFrame: 30) == "D1 00 81 3C 40")
        #expect(messages.count == 6)
    }

    @Test(
        "MPE per-note bend follows the zone's member range",
        arguments: [
            (48, -100.0, "E1 55 3E"),  // 8021 = one semitone down at ±48
            (2, 100.0, "E1 00 60"),  // 12288 = half the range up at ±2
            (2, 300.0, "E1 7F 7F"),  // clamped
        ])
    func bendRange(range: Int, cents: Double, expected: String) {
        var scheduler = NoteScheduler(mode: .mpe(zone(.lower, members: 1, memberBend: range)), maximumNoteFrames: 100)
        scheduler.schedule(note(60, at: 0, length: 10, cents: cents))
        let messages = scheduler.popDue(before: 1)
        #expect(messages.first?.message.description == expected)
    }

    @Test("MPE notes go to the least-recently-released member; an Upper Zone counts downwards from channel 15")
    func upperZoneAllocation() {
        var scheduler = NoteScheduler(mode: .mpe(zone(.upper, members: 3)), maximumNoteFrames: 10_000)
        scheduler.schedule(note(60, at: 0, length: 10))
        scheduler.schedule(note(62, at: 1, length: 100))
        scheduler.schedule(note(64, at: 20, length: 100))  // channel 14 was released at 10, 12 never used
        scheduler.schedule(note(65, at: 30, length: 100))
        let noteOns = scheduler.popDue(before: 40).filter(\.message.isNoteOn)
        #expect(noteOns.map(\.message.channel) == [14, 13, 12, 14])
    }

    @Test("MPE stealing: Note Off for the oldest note, then the new note on its channel")
    func stealing() {
        var scheduler = NoteScheduler(mode: .mpe(zone(.lower, members: 2)), maximumNoteFrames: 10_000)
        scheduler.schedule(note(60, at: 0, length: 100))
        scheduler.schedule(note(64, at: 10, length: 90))
        scheduler.schedule(note(67, at: 20, length: 30))
        let messages = scheduler.popDue(before: 1000)
        #expect(hex(messages, atFrame: 0) == "E1 00 40 B1 4A 40 D1 64 91 3C 64")
        #expect(hex(messages, atFrame: 10) == "E2 00 40 B2 4A 40 D2 64 92 40 64")
        #expect(hex(messages, atFrame: 20) == "D1 00 81 3C 40 E1 00 40 B1 4A 40 D1 64 91 43 64")
        #expect(hex(messages, atFrame: 50) == "D1 00 81 43 40")
        #expect(hex(messages, atFrame: 100) == "D2 00 82 40 40")  // the stolen note's own end is gone
        #expect(messages.count == 4 + 4 + 6 + 2 + 2)
        #expect(scheduler.stolenNotes == 1)
        #expect(NotePairing.pair(messages).isClean)
    }

    @Test("MPE polyphony is capped at the member count")
    func polyphonyCap() {
        var scheduler = NoteScheduler(mode: .mpe(.defaultLower), maximumNoteFrames: 100_000)
        for index in 0..<20 {
            scheduler.schedule(note(UInt8(40 + index), at: FrameTime(index), length: 1000))
        }
        let messages = scheduler.popDue(before: 20)
        #expect(scheduler.activeNoteCount == 15)
        #expect(scheduler.stolenNotes == 5)
        #expect(Set(scheduler.soundingNotes.map(\.wireChannel)) == Set(1...15))
        #expect(scheduler.soundingNotes.map(\.pitch) == (45..<60).map { UInt8($0) })
        // The first five notes were stolen in the order they started.
        #expect(messages.filter(\.message.isNoteOff).map(\.message.data1) == [40, 41, 42, 43, 44])
    }

    @Test("Standard retrigger of a sounding key: Note Off, then Note On, and the old end is cancelled")
    func standardRetrigger() {
        var scheduler = NoteScheduler(mode: standardMode(), maximumNoteFrames: 10_000)
        scheduler.schedule(note(60, at: 0, length: 100))
        scheduler.schedule(note(60, at: 50, length: 100, velocity: 80))
        let messages = scheduler.popDue(before: 1000)
        #expect(hex(messages, atFrame: 50) == "80 3C 40 90 3C 50")
        #expect(hex(messages, atFrame: 100).isEmpty)
        #expect(hex(messages, atFrame: 150) == "80 3C 40")
        #expect(messages.count == 4)
        #expect(scheduler.retriggeredNotes == 1)
        #expect(NotePairing.pair(messages).overlappingNoteOnIndices.isEmpty)
    }

    @Test("Voices sharing one channel retrigger each other's keys; separate channels do not")
    func sharedChannelRetrigger() {
        var shared = NoteScheduler(mode: .standard(channels: .default), maximumNoteFrames: 10_000)
        shared.schedule(note(48, at: 0, length: 100, voice: .bass))
        shared.schedule(note(48, at: 10, length: 100, voice: .melody))
        let sharedMessages = shared.popDue(before: 11)
        #expect(hex(sharedMessages) == "90 30 64 80 30 40 90 30 64")

        var separate = NoteScheduler(mode: standardMode(melody: 1, bass: 2), maximumNoteFrames: 10_000)
        separate.schedule(note(48, at: 0, length: 100, voice: .bass))
        separate.schedule(note(48, at: 10, length: 100, voice: .melody))
        let separateMessages = separate.popDue(before: 11)
        #expect(hex(separateMessages) == "91 30 64 90 30 64")
        #expect(separate.retriggeredNotes == 0)
    }

    @Test("MPE retrigger: the same voice repeating a sounding pitch ends it; another voice may double it")
    func mpeRetrigger() {
        var scheduler = NoteScheduler(mode: .mpe(zone(.lower, members: 3)), maximumNoteFrames: 10_000)
        scheduler.schedule(note(60, at: 0, length: 100))
        scheduler.schedule(note(60, at: 50, length: 100))
        scheduler.schedule(note(60, at: 60, length: 10, voice: .bass))
        let messages = scheduler.popDue(before: 1000)
        #expect(hex(messages, atFrame: 50) == "D1 00 81 3C 40 E2 00 40 B2 4A 40 D2 64 92 3C 64")
        #expect(hex(messages, atFrame: 60) == "E3 00 40 B3 4A 40 D3 64 93 3C 64")
        #expect(hex(messages, atFrame: 100).isEmpty)
        #expect(hex(messages, atFrame: 150) == "D2 00 82 3C 40")
        #expect(scheduler.retriggeredNotes == 1)
        #expect(NotePairing.pair(messages).isClean)
    }

    @Test("Notes longer than the maximum are ended at the maximum")
    func maximumDuration() {
        var scheduler = NoteScheduler(mode: standardMode(), maximumNoteFrames: 1000)
        scheduler.schedule(note(60, at: 500, length: 5000))
        scheduler.schedule(note(62, at: 500, length: 1000))
        let messages = scheduler.popDue(before: 10_000)
        #expect(messages.map(\.frame) == [500, 500, 1500, 1500])
        #expect(messages.filter(\.message.isNoteOff).map(\.message.data1) == [60, 62])
        #expect(scheduler.shortenedNotes == 1)
        #expect(scheduler.maximumNoteFrames == 1000)
    }

    @Test("popDue returns messages in frame order whatever the scheduling order")
    func frameOrder() {
        var scheduler = NoteScheduler(mode: standardMode(), maximumNoteFrames: 10_000)
        scheduler.schedule(note(72, at: 300, length: 10))
        scheduler.schedule(note(60, at: 100, length: 500))
        scheduler.schedule(note(64, at: 200, length: 5))
        let messages = scheduler.popDue(before: 10_000)
        #expect(messages.map(\.frame) == [100, 200, 205, 300, 310, 600])
        #expect(hex(messages) == "90 3C 64 90 40 64 80 40 40 90 48 64 80 48 40 80 3C 40")
    }

    @Test("Equal frames keep scheduling order")
    func stability() {
        var scheduler = NoteScheduler(mode: standardMode(), maximumNoteFrames: 10_000)
        for pitch: UInt8 in [60, 67, 62, 65, 61] {
            scheduler.schedule(note(pitch, at: 100, length: 10))
        }
        let messages = scheduler.popDue(before: 1000)
        #expect(messages.filter(\.message.isNoteOn).map(\.message.data1) == [60, 67, 62, 65, 61])
        #expect(messages.filter(\.message.isNoteOff).map(\.message.data1) == [60, 67, 62, 65, 61])
    }

    @Test("At one frame, note ends come before note starts, so a freed member is reused without stealing")
    func endsBeforeStarts() {
        var scheduler = NoteScheduler(mode: .mpe(zone(.lower, members: 1)), maximumNoteFrames: 10_000)
        scheduler.schedule(note(62, at: 100, length: 100))  // scheduled first, starts when the next one ends
        scheduler.schedule(note(60, at: 0, length: 100))
        let messages = scheduler.popDue(before: 1000)
        #expect(hex(messages, atFrame: 100) == "D1 00 81 3C 40 E1 00 40 B1 4A 40 D1 64 91 3E 64")
        #expect(scheduler.stolenNotes == 0)
    }

    @Test("popDue(before:) is exclusive of its frame")
    func exclusiveBoundary() {
        var scheduler = NoteScheduler(mode: standardMode(), maximumNoteFrames: 10_000)
        scheduler.schedule(note(60, at: 100, length: 50))
        #expect(scheduler.nextDueFrame == 100)
        let beforeStart = scheduler.popDue(before: 100)
        #expect(beforeStart.isEmpty)
        #expect(scheduler.activeNoteCount == 0)
        let atStart = scheduler.popDue(before: 101)
        #expect(hex(atStart) == "90 3C 64")
        #expect(scheduler.activeNoteCount == 1)
        #expect(scheduler.nextDueFrame == 150)
        let beforeEnd = scheduler.popDue(before: 150)
        #expect(beforeEnd.isEmpty)
        let atEnd = scheduler.popDue(before: 151)
        #expect(hex(atEnd) == "80 3C 40")
        #expect(scheduler.activeNoteCount == 0)
        #expect(scheduler.nextDueFrame == nil)
    }

    @Test("popDue(before:into:) appends to the caller's buffer without growing its reserved storage")
    func intoBuffer() {
        var scheduler = NoteScheduler(mode: .mpe(.defaultLower), maximumNoteFrames: 10_000)
        for index in 0..<8 {
            scheduler.schedule(note(UInt8(60 + index), at: FrameTime(index * 10), length: 5))
        }
        var buffer: [TimedMIDIMessage] = [TimedMIDIMessage(frame: 0, message: .programChange(channel: 0, program: 1))]
        buffer.reserveCapacity(256)
        let capacity = buffer.capacity
        scheduler.popDue(before: 1000, into: &buffer)
        #expect(buffer.capacity == capacity)
        #expect(buffer.count == 1 + 8 * 6)
        #expect(buffer[0].message.description == "C0 01")
        #expect(hex(Array(buffer[1...])) == hex(Array(buffer[1...]).sorted { $0.frame < $1.frame }))
    }

    @Test("A full queue drops the new note and counts it")
    func fullQueue() {
        var scheduler = NoteScheduler(mode: standardMode(), maximumNoteFrames: 10_000, capacity: 4)
        scheduler.schedule(note(60, at: 0, length: 10))
        scheduler.schedule(note(62, at: 0, length: 10))
        scheduler.schedule(note(64, at: 0, length: 10))
        #expect(scheduler.droppedNotes == 1)
        #expect(scheduler.pendingEventCount == 4)
        #expect(scheduler.capacity == 4)
        let messages = scheduler.popDue(before: 100)
        #expect(messages.filter(\.message.isNoteOn).map(\.message.data1) == [60, 62])
        scheduler.schedule(note(64, at: 200, length: 10))  // room again once the queue drained
        #expect(scheduler.droppedNotes == 1)
        #expect(scheduler.pendingEventCount == 2)
    }

    @Test("A note starting before frames already popped starts at the first open frame, keeping its length")
    func lateNote() {
        var scheduler = NoteScheduler(mode: standardMode(), maximumNoteFrames: 10_000)
        _ = scheduler.popDue(before: 1000)
        scheduler.schedule(note(60, at: 500, length: 100))
        let messages = scheduler.popDue(before: 2000)
        #expect(messages.map(\.frame) == [1000, 1100])
        #expect(scheduler.lateNotes == 1)
    }

    @Test("Seeded random streams stay clean", arguments: [false, true])
    func randomStreams(useMPE: Bool) {
        let mode: MIDIOutputMode = useMPE ? .mpe(zone(.upper, members: 5)) : standardMode(melody: 1, bass: 1)
        var scheduler = NoteScheduler(mode: mode, maximumNoteFrames: 2000, capacity: 512)
        var random = SeededRandomGenerator(seed: useMPE ? 11 : 12)
        var output: [TimedMIDIMessage] = []
        var now: FrameTime = 0
        for _ in 0..<400 {
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                let start = now + FrameTime.random(in: 0...3000, using: &random)
                scheduler.schedule(
                    note(
                        UInt8.random(in: 50...60, using: &random), at: start,
                        length: FrameTime.random(in: 1...4000, using: &random),
                        velocity: UInt8.random(in: 0...127, using: &random),
                        cents: Double.random(in: -50...50, using: &random),
                        voice: Bool.random(using: &random) ? .melody : .bass))
            }
            now += FrameTime.random(in: 1...300, using: &random)
            scheduler.popDue(before: now, into: &output)
            if useMPE { #expect(scheduler.activeNoteCount <= 5) }
        }
        output += scheduler.popDue(before: .max)
        #expect(scheduler.activeNoteCount == 0)
        #expect(scheduler.droppedNotes == 0)
        #expect(zip(output, output.dropFirst()).allSatisfy { $0.frame <= $1.frame })
        let report = NotePairing.pair(output)
        #expect(report.isClean)
        #expect(report.pairs.count == output.filter(\.message.isNoteOn).count)
        for pair in report.pairs {
            #expect(output[pair.noteOffIndex].frame - output[pair.noteOnIndex].frame <= 2000)
        }
        #expect(output.filter(\.message.isNoteOn).allSatisfy { $0.message.data2 >= 1 })
        #expect(output.filter(\.message.isNoteOff).allSatisfy { $0.message.data2 == 0x40 })
        guard useMPE else { return }
        // Never two sounding notes on one member channel, and nothing note-related on the manager.
        var sounding: [UInt8: Int] = [:]
        for (index, timed) in output.enumerated() {
            let message = timed.message
            #expect(message.channel != 15)
            if message.isNoteOn {
                #expect(sounding[message.channel, default: 0] == 0)
                sounding[message.channel, default: 0] += 1
                // Bend, CC74 and pressure immediately before, same frame, same channel.
                let before = output[(index - 3)..<index]
                #expect(before.map(\.message.kind) == [0xE0, 0xB0, 0xD0])
                #expect(before.allSatisfy { $0.frame == timed.frame && $0.message.channel == message.channel })
            } else if message.isNoteOff {
                sounding[message.channel, default: 0] -= 1
                #expect(
                    output[index - 1].message.description
                        == "D\(String(message.channel, radix: 16, uppercase: true)) 00")
            }
        }
    }
}
