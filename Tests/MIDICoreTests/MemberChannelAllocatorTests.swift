import MIDICore
import MusicHalCore
import Testing

@Suite("Member channel allocator")
struct MemberChannelAllocatorTests {
    @Test("A fresh allocator hands out members in zone order", arguments: [MPEZone.Side.lower, .upper])
    func freshOrder(side: MPEZone.Side) {
        let zone = zone(side, members: 3)
        var allocator = MemberChannelAllocator(zone: zone)
        let channels = (60...62).map { allocator.acquire(pitch: UInt8($0)).wireChannel }
        #expect(channels == zone.memberWireChannels)
        #expect(allocator.soundingCount == 3)
    }

    @Test("The least-recently-released free channel is reused first")
    func leastRecentlyReleased() {
        var allocator = MemberChannelAllocator(zone: zone(.lower, members: 3))
        _ = allocator.acquire(pitch: 60)  // channel 1
        _ = allocator.acquire(pitch: 61)  // channel 2
        _ = allocator.acquire(pitch: 62)  // channel 3
        let releases = [2, 1, 3].map { allocator.release(wireChannel: $0) }
        #expect(releases == [true, true, true])
        let assignments = [70, 71, 72].map { allocator.acquire(pitch: $0) }
        #expect(assignments == [.free(wireChannel: 2), .free(wireChannel: 1), .free(wireChannel: 3)])
    }

    @Test("A never-used channel counts as released before any used one")
    func unusedFirst() {
        var allocator = MemberChannelAllocator(zone: zone(.lower, members: 3))
        _ = allocator.acquire(pitch: 60)  // channel 1
        allocator.release(wireChannel: 1)
        let assignments = [61, 62, 63].map { allocator.acquire(pitch: $0) }
        #expect(assignments == [.free(wireChannel: 2), .free(wireChannel: 3), .free(wireChannel: 1)])
    }

    @Test("When every channel is busy the oldest note's channel is stolen, in assignment order")
    func stealing() {
        var allocator = MemberChannelAllocator(zone: zone(.lower, members: 2))
        let assignments = [60, 64, 67, 72, 76].map { allocator.acquire(pitch: $0) }
        #expect(
            assignments == [
                .free(wireChannel: 1), .free(wireChannel: 2),
                .stolen(wireChannel: 1, previousPitch: 60),
                .stolen(wireChannel: 2, previousPitch: 64),
                .stolen(wireChannel: 1, previousPitch: 67),
            ])
        #expect(allocator.pitch(onWireChannel: 1) == 76)
        #expect(allocator.pitch(onWireChannel: 2) == 72)
        #expect(allocator.soundingCount == 2)
    }

    @Test("Releasing a free or foreign channel changes nothing")
    func redundantRelease() {
        var allocator = MemberChannelAllocator(zone: zone(.lower, members: 2))
        let beforeUse = [1, 9].map { allocator.release(wireChannel: $0) }
        #expect(beforeUse == [false, false])
        _ = allocator.acquire(pitch: 60)
        let afterUse = [1, 1].map { allocator.release(wireChannel: $0) }
        #expect(afterUse == [true, false])
        #expect(allocator.soundingCount == 0)
    }

    @Test("Random use never puts two notes on one channel nor exceeds the member count", arguments: [1, 4, 15])
    func invariants(members: Int) {
        let zone = zone(.upper, members: members)
        var allocator = MemberChannelAllocator(zone: zone)
        var random = SeededRandomGenerator(seed: UInt64(members))
        var sounding: [UInt8: UInt8] = [:]  // channel → pitch, as the caller would track it
        for _ in 0..<5000 {
            if sounding.isEmpty || random.nextUnit() < 0.6 {
                let pitch = UInt8.random(in: 0...127, using: &random)
                let assignment = allocator.acquire(pitch: pitch)
                #expect(zone.isMember(wireChannel: assignment.wireChannel))
                switch assignment {
                case .free(let channel):
                    #expect(sounding[channel] == nil)
                case .stolen(let channel, let previous):
                    #expect(sounding.count == members)
                    #expect(sounding[channel] == previous)
                }
                sounding[assignment.wireChannel] = pitch
            } else {
                let channel = sounding.keys.sorted()[Int.random(in: 0..<sounding.count, using: &random)]
                let wasBusy = allocator.release(wireChannel: channel)
                #expect(wasBusy)
                sounding[channel] = nil
            }
            #expect(allocator.soundingCount == sounding.count)
            #expect(sounding.count <= members)
        }
    }
}

@Suite("Active note table")
struct ActiveNoteTableTests {
    private func note(_ id: UInt64, channel: UInt8, pitch: UInt8, start: FrameTime) -> ActiveNote {
        ActiveNote(id: id, wireChannel: channel, pitch: pitch, voice: .melody, startFrame: start, endFrame: start + 10)
    }

    @Test("A second note on a sounding key is refused")
    func duplicateKey() {
        var table = ActiveNoteTable()
        let firstInserted = table.insert(note(1, channel: 0, pitch: 60, start: 0))
        #expect(firstInserted)
        let duplicateInserted = table.insert(note(2, channel: 0, pitch: 60, start: 5))
        #expect(!duplicateInserted)
        #expect(table.note(wireChannel: 0, pitch: 60)?.id == 1)
        let otherChannelInserted = table.insert(note(3, channel: 1, pitch: 60, start: 5))
        #expect(otherChannelInserted)
        #expect(table.count == 2)
    }

    @Test("Removal frees the key and returns the note")
    func removal() {
        var table = ActiveNoteTable()
        _ = table.insert(note(1, channel: 15, pitch: 127, start: 0))
        let removed = table.remove(wireChannel: 15, pitch: 127)
        #expect(removed?.id == 1)
        let removedAgain = table.remove(wireChannel: 15, pitch: 127)
        #expect(removedAgain == nil)
        #expect(table.isEmpty)
        let reinserted = table.insert(note(2, channel: 15, pitch: 127, start: 1))
        #expect(reinserted)
    }

    @Test("Notes are listed oldest first and found by id")
    func ordering() {
        var table = ActiveNoteTable()
        _ = table.insert(note(7, channel: 3, pitch: 50, start: 30))
        _ = table.insert(note(5, channel: 0, pitch: 90, start: 10))
        _ = table.insert(note(6, channel: 9, pitch: 10, start: 10))
        #expect(table.notesByAge.map(\.id) == [5, 6, 7])
        #expect(table.note(id: 7, pitch: 50)?.wireChannel == 3)
        #expect(table.note(id: 7, pitch: 51) == nil)
        table.removeAll()
        #expect(table.count == 0)
        #expect(table.notesByAge.isEmpty)
    }
}
