import MIDICore
import MusicHalCore
import Testing

@Suite("Panic, stop, set-up and mode changes")
struct PanicTests {
    /// A melody note and a bass note sounding, and a melody note pending, at frame 100.
    private func busyScheduler(_ mode: MIDIOutputMode) -> NoteScheduler {
        var scheduler = NoteScheduler(mode: mode, maximumNoteFrames: 100_000)
        scheduler.schedule(Note(pitch: 60, velocity: 100, startFrame: 0, durationFrames: 1000))
        scheduler.schedule(Note(pitch: 48, velocity: 90, startFrame: 10, durationFrames: 1000, voice: .bass))
        scheduler.schedule(Note(pitch: 72, velocity: 80, startFrame: 2000, durationFrames: 10))
        _ = scheduler.popDue(before: 100)
        return scheduler
    }

    @Test("Standard panic: Note Offs, then CC64 0, CC123, CC120 on each channel, all at the panic frame")
    func standardPanic() {
        var scheduler = busyScheduler(standardMode(melody: 1, bass: 2))
        let messages = scheduler.panic(at: 500)
        #expect(hex(messages) == "80 3C 40 81 30 40 B0 40 00 B0 7B 00 B0 78 00 B1 40 00 B1 7B 00 B1 78 00")
        #expect(messages.allSatisfy { $0.frame == 500 })
        #expect(scheduler.activeNoteCount == 0)
        #expect(scheduler.nextDueFrame == nil)
        let remaining = scheduler.popDue(before: .max)
        #expect(remaining.isEmpty)  // the pending Note On was dropped
    }

    @Test("Standard stop skips CC120")
    func standardStop() {
        var scheduler = busyScheduler(standardMode(melody: 1, bass: 2))
        let stopMessages = scheduler.stop(at: 500)
        #expect(hex(stopMessages) == "80 3C 40 81 30 40 B0 40 00 B0 7B 00 B1 40 00 B1 7B 00")
        let remaining = scheduler.popDue(before: .max)
        #expect(remaining.isEmpty)
    }

    @Test("MPE panic: pressure 0 and Note Off per note, controllers on manager and members, then centred bends")
    func mpePanic() {
        var scheduler = busyScheduler(.mpe(zone(.lower, members: 2)))
        let expected = [
            "D1 00 81 3C 40", "D2 00 82 30 40",
            "B0 40 00 B0 7B 00 B0 78 00", "B1 40 00 B1 7B 00 B1 78 00", "B2 40 00 B2 7B 00 B2 78 00",
            "E1 00 40 E2 00 40",
        ].joined(separator: " ")
        let panicMessages = scheduler.panic(at: 500)
        #expect(hex(panicMessages) == expected)
        let remaining = scheduler.popDue(before: .max)
        #expect(remaining.isEmpty)
    }

    @Test("MPE stop skips CC120 but still centres member bends")
    func mpeStop() {
        var scheduler = busyScheduler(.mpe(zone(.upper, members: 2)))
        let expected = [
            "DE 00 8E 3C 40", "DD 00 8D 30 40",
            "BF 40 00 BF 7B 00", "BE 40 00 BE 7B 00", "BD 40 00 BD 7B 00",
            "EE 00 40 ED 00 40",
        ].joined(separator: " ")
        let stopMessages = scheduler.stop(at: 500)
        #expect(hex(stopMessages) == expected)
    }

    @Test("A panic earlier than frames already popped is stamped at the first open frame")
    func panicNotInThePast() {
        var scheduler = busyScheduler(standardMode())
        let panicMessages = scheduler.panic(at: 20)
        #expect(panicMessages.allSatisfy { $0.frame == 100 })
    }

    @Test("After a panic the scheduler plays again from free channels")
    func afterPanic() {
        var scheduler = busyScheduler(.mpe(zone(.lower, members: 2)))
        _ = scheduler.panic(at: 500)
        scheduler.schedule(Note(pitch: 64, velocity: 100, startFrame: 600, durationFrames: 10))
        let messages = scheduler.popDue(before: 1000)
        #expect(hex(messages) == "E1 00 40 B1 4A 40 D1 64 91 40 64 D1 00 81 40 40")
        #expect(scheduler.stolenNotes == 0)
    }

    @Test("Standard set-up is a startup panic")
    func standardSetUp() {
        var scheduler = NoteScheduler(mode: standardMode(melody: 1, bass: 2), maximumNoteFrames: 1000)
        let messages = scheduler.setUp(at: 0)
        #expect(hex(messages) == "B0 40 00 B0 7B 00 B0 78 00 B1 40 00 B1 7B 00 B1 78 00")
    }

    @Test("MPE set-up: panic, CC121 on the zone, MCM, RPN 0s, each RPN closed by null")
    func mpeSetUp() {
        let lower = zone(.lower, members: 2)
        var scheduler = NoteScheduler(mode: .mpe(lower), maximumNoteFrames: 1000)
        let messages = scheduler.setUp(at: 64)
        let expected = [
            "B0 40 00 B0 7B 00 B0 78 00", "B1 40 00 B1 7B 00 B1 78 00", "B2 40 00 B2 7B 00 B2 78 00",
            "E1 00 40 E2 00 40",
            "B0 79 00 B1 79 00 B2 79 00",
            "B0 64 06 B0 65 00 B0 06 02", "B0 65 7F B0 64 7F",
            "B1 64 00 B1 65 00 B1 06 30", "B1 65 7F B1 64 7F",
            "B2 64 00 B2 65 00 B2 06 30", "B2 65 7F B2 64 7F",
            "B0 64 00 B0 65 00 B0 06 02", "B0 65 7F B0 64 7F",
        ].joined(separator: " ")
        #expect(hex(messages) == expected)
        #expect(messages.allSatisfy { $0.frame == 64 })
    }

    @Test("MPE to standard: panic the zone, CC121, switch the zone off")
    func mpeToStandard() {
        var scheduler = busyScheduler(.mpe(zone(.lower, members: 2)))
        let messages = scheduler.changeMode(standardMode(melody: 1, bass: 4), at: 200)
        let expected = [
            "D1 00 81 3C 40", "D2 00 82 30 40",
            "B0 40 00 B0 7B 00 B0 78 00", "B1 40 00 B1 7B 00 B1 78 00", "B2 40 00 B2 7B 00 B2 78 00",
            "E1 00 40 E2 00 40",
            "B0 79 00 B1 79 00 B2 79 00 B3 79 00",
            "B0 64 06 B0 65 00 B0 06 00", "B0 65 7F B0 64 7F",
        ].joined(separator: " ")
        #expect(hex(messages) == expected)
        #expect(scheduler.mode == standardMode(melody: 1, bass: 4))
        scheduler.schedule(Note(pitch: 40, velocity: 100, startFrame: 300, durationFrames: 10, voice: .bass))
        let bassNote = scheduler.popDue(before: 1000)
        #expect(hex(bassNote) == "93 28 64 83 28 40")
    }

    @Test("Standard to MPE: panic the old channels, CC121 on old and new, then the zone configuration")
    func standardToMPE() {
        var scheduler = NoteScheduler(mode: standardMode(melody: 3, bass: 4), maximumNoteFrames: 1000)
        let upper = zone(.upper, members: 2)
        let messages = scheduler.changeMode(.mpe(upper), at: 0)
        let expected =
            "B2 40 00 B2 7B 00 B2 78 00 B3 40 00 B3 7B 00 B3 78 00 B2 79 00 B3 79 00 BF 79 00 BE 79 00 BD 79 00 "
            + hex(upper.configurationSequence)
        #expect(hex(messages) == expected)
    }

    @Test("Lower to Upper Zone: the Lower Zone is switched off before the Upper Zone is configured")
    func zoneSwap() {
        var scheduler = NoteScheduler(mode: .mpe(zone(.lower, members: 1)), maximumNoteFrames: 1000)
        let upper = zone(.upper, members: 1)
        let messages = scheduler.changeMode(.mpe(upper), at: 0)
        let expected = [
            "B0 40 00 B0 7B 00 B0 78 00 B1 40 00 B1 7B 00 B1 78 00 E1 00 40",
            "B0 79 00 B1 79 00 BF 79 00 BE 79 00",
            "B0 64 06 B0 65 00 B0 06 00 B0 65 7F B0 64 7F",
            hex(upper.configurationSequence),
        ].joined(separator: " ")
        #expect(hex(messages) == expected)
    }

    @Test("Resizing a zone reconfigures it without switching it off")
    func zoneResize() {
        var scheduler = NoteScheduler(mode: .mpe(zone(.lower, members: 1)), maximumNoteFrames: 1000)
        let wider = zone(.lower, members: 3)
        let messages = scheduler.changeMode(.mpe(wider), at: 0)
        let expected =
            "B0 40 00 B0 7B 00 B0 78 00 B1 40 00 B1 7B 00 B1 78 00 E1 00 40 "
            + "B0 79 00 B1 79 00 B2 79 00 B3 79 00 " + hex(wider.configurationSequence)
        #expect(hex(messages) == expected)
        #expect(!hex(messages).contains("B0 06 00"))
    }

    @Test("A standard channel change panics the old channels only")
    func channelChange() {
        var scheduler = busyScheduler(standardMode(melody: 1, bass: 2))
        let messages = scheduler.changeMode(standardMode(melody: 5, bass: 5), at: 300)
        #expect(hex(messages) == "80 3C 40 81 30 40 B0 40 00 B0 7B 00 B0 78 00 B1 40 00 B1 7B 00 B1 78 00")
        let remaining = scheduler.popDue(before: .max)
        #expect(remaining.isEmpty)
    }

    @Test("The flush builders match the scheduler's output")
    func flushBuilder() {
        let mode = MIDIOutputMode.mpe(zone(.lower, members: 1))
        let sounding = ActiveNote(id: 0, wireChannel: 1, pitch: 60, voice: .melody, startFrame: 0, endFrame: 9)
        #expect(hex(mode.noteOffMessages(for: sounding)) == "D1 00 81 3C 40")
        #expect(
            hex(mode.flushMessages(.stop, soundingNotes: [sounding]))
                == "D1 00 81 3C 40 B0 40 00 B0 7B 00 B1 40 00 B1 7B 00 E1 00 40")
        #expect(hex(standardMode().noteOffMessages(for: sounding)) == "81 3C 40")
    }
}
