import Testing

/// The checkers the JACK fault and soak tests rely on, on synthetic streams: they must catch what they look for.
@Suite("Stuck-note and note-length checkers")
struct NoteLedgerTests {
    private func on(_ frame: Int, _ note: Int, channel: Int = 0) -> [Int] { [frame, 0x90 | channel, note, 100] }
    private func off(_ frame: Int, _ note: Int, channel: Int = 0) -> [Int] { [frame, 0x80 | channel, note, 0] }
    private func cc(_ frame: Int, _ controller: Int, channel: Int = 0) -> [Int] {
        [frame, 0xB0 | channel, controller, 0]
    }

    @Test("paired notes pass; the longest note is measured from note-on to note-off")
    func pairedNotes() {
        let report = StuckNoteCheck.check(segments: [[on(0, 60), on(10, 64), off(50, 60), off(400, 64)]])
        #expect(report.problems.isEmpty)
        #expect(report.noteOns == 2)
        var ledger = NoteLedger()
        for event in [on(0, 60), on(10, 64), off(50, 60), off(400, 64), [410, 0x90, 67, 90], [500, 0x90, 67, 0]] {
            _ = ledger.feed(event)
        }
        #expect(ledger.longest?.frames == 390 && ledger.longest?.note == WireNote(channel: 0, note: 64))
        #expect(ledger.sounding.isEmpty && ledger.releasedByChannel == 0)
        // A channel-wide release ends every note of its channel and is counted apart.
        for event in [on(600, 60), on(601, 62), on(602, 62, channel: 1), cc(700, 123)] { _ = ledger.feed(event) }
        #expect(ledger.releasedByChannel == 2 && ledger.sounding == [WireNote(channel: 1, note: 62)])
    }

    @Test("an unmatched note-on at the end is reported")
    func unmatchedAtEnd() {
        let report = StuckNoteCheck.check(segments: [[on(0, 60), off(5, 60), on(10, 62, channel: 1)]])
        #expect(report.problems == ["still down at the end: [ch2/62]"])
        // A release on another channel does not help; one on the note's channel does.
        #expect(!StuckNoteCheck.check(segments: [[on(0, 60, channel: 1), cc(9, 123)]]).problems.isEmpty)
        #expect(StuckNoteCheck.check(segments: [[on(0, 60, channel: 1), cc(9, 120, channel: 1)]]).problems.isEmpty)
        // Two note-ons of one key need two note-offs.
        #expect(!StuckNoteCheck.check(segments: [[on(0, 60), on(5, 60), off(9, 60)]]).problems.isEmpty)
    }

    @Test("a note down when the server died must be released in the next segment before its channel plays again")
    func carriedAcrossSegments() {
        let cut = [on(0, 60), on(3, 40, channel: 1)]
        // Released by the panic (CC123 on both channels), then playing resumes: clean.
        let released = StuckNoteCheck.check(segments: [
            cut, [cc(0, 123), cc(0, 123, channel: 1), on(100, 62), off(200, 62)],
        ])
        #expect(released.problems.isEmpty)
        #expect(released.carriedOver == 2)
        // Explicit note-offs work too.
        #expect(StuckNoteCheck.check(segments: [cut, [off(0, 60), off(0, 40, channel: 1)]]).problems.isEmpty)
        // Never released.
        let never = StuckNoteCheck.check(segments: [cut, [cc(0, 123), on(10, 62), off(20, 62)]])
        #expect(never.problems == ["segment 1: [ch2/40] left down by the previous segment, never released"])
        // Released only after the channel played again.
        let late = StuckNoteCheck.check(segments: [cut, [on(5, 62), off(9, 62), cc(10, 123), cc(10, 123, channel: 1)]])
        #expect(late.problems.count == 1 && late.problems[0].hasPrefix("segment 1: ch1/62 played at frame 5"))
    }
}
