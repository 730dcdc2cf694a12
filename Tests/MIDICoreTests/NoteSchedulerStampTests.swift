import MIDICore
import MusicHalCore
import Testing

@Suite("Note scheduler: stamped messages")
struct NoteSchedulerStampTests {
    @Test("messages that are not notes are stamped at the frame asked, never before what was handed out")
    func stampFollowsHorizon() throws {
        var scheduler = NoteScheduler(mode: .standard(channels: .default), maximumNoteFrames: 48_000)
        let change = MIDIMessage.programChange(channel: 0, program: 5)
        #expect(scheduler.stamp([change], at: 100).map(\.frame) == [100])
        _ = scheduler.popDue(before: 1000)
        let late = scheduler.stamp([change, .controlChange(channel: 0, controller: 0, value: 1)], at: 200)
        #expect(late.map(\.frame) == [1000, 1000])
        #expect(late.map(\.message.description) == ["C0 05", "B0 00 01"])
        #expect(scheduler.stamp([change], at: 3000).map(\.frame) == [3000])
    }
}
