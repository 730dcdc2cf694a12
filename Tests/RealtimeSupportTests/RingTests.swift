import Foundation
import MusicHalCore
import RealtimeSupport
import Testing

@Suite("Lock-free rings")
struct RingTests {
    @Test("capacity rounds up to a power of two; a full ring refuses and an empty ring returns nil")
    func boundaries() {
        let ring = SPSCRing<Int>(minimumCapacity: 5)
        #expect(ring.capacity == 8)
        #expect(ring.pop() == nil)
        for value in 0..<8 { #expect(ring.push(value)) }
        #expect(ring.push(99) == false)
        #expect(ring.count == 8)
        #expect(ring.peek() == 0)
        for value in 0..<8 { #expect(ring.pop() == value) }
        #expect(ring.isEmpty)
    }

    @Test("a million items cross threads in order with none lost")
    func crossThreadOrder() async {
        let ring = SPSCRing<UInt64>(minimumCapacity: 1024)
        let total: UInt64 = 1_000_000
        let producer = Thread {
            var next: UInt64 = 0
            while next < total {
                if ring.push(next) { next += 1 }
            }
        }
        producer.start()
        var expected: UInt64 = 0
        var outOfOrder = 0
        while expected < total {
            if let value = ring.pop() {
                if value != expected { outOfOrder += 1 }
                expected += 1
            }
        }
        #expect(outOfOrder == 0)
        #expect(ring.isEmpty)
    }

    @Test("audio blocks keep their frame stamps; a full ring drops and counts instead of waiting")
    func audioBlockRing() {
        let ring = AudioBlockRing(minimumSlots: 2, maxBlockFrames: 4)
        let samples: [Float] = [1, 2, 3, 4, 5, 6]
        #expect(samples.withUnsafeBufferPointer { ring.push(startFrame: 100, samples: $0) })
        #expect(
            samples.withUnsafeBufferPointer {
                ring.push(startFrame: 104, samples: UnsafeBufferPointer(rebasing: $0[0..<2]))
            })
        #expect(samples.withUnsafeBufferPointer { ring.push(startFrame: 108, samples: $0) } == false)
        #expect(ring.droppedBlocks == 1)
        var block = AudioBlock(startFrame: 0, sampleRate: 48_000, samples: [])
        #expect(ring.pop(into: &block))
        #expect(block.startFrame == 100)
        #expect(block.samples == [1, 2, 3, 4])  // truncated to the slot size
        #expect(ring.pop(into: &block))
        #expect(block.startFrame == 104)
        #expect(block.samples == [1, 2])
        #expect(ring.pop(into: &block) == false)
        #expect(ring.pendingBlocks == 0)
    }
}
