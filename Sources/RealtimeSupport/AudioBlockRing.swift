public import MusicHalCore
import Synchronization

/// A lock-free single-producer/single-consumer ring of audio blocks, each stamped with its start frame.
///
/// Slots are preallocated for blocks of up to `maxBlockFrames` frames. The producer (the audio callback or a
/// file reader) copies samples into a free slot; when every slot is full the block is dropped and counted, so
/// the real-time side never waits. The consumer sees the gap through the frame stamps.
public final class AudioBlockRing: @unchecked Sendable {
    // @unchecked: slot memory is owned by the producer until `tail` is released past it, then by the consumer
    // until `head` is released past it; the atomics order those hand-overs.
    private struct Header: BitwiseCopyable {
        var startFrame: UInt64
        var frameCount: Int
    }

    private let samples: UnsafeMutablePointer<Float>
    private let headers: UnsafeMutablePointer<Header>
    private let slotMask: Int
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)

    /// Number of block slots.
    public let slotCount: Int
    /// Largest block a slot holds.
    public let maxBlockFrames: Int

    /// Creates a ring with at least `minimumSlots` slots of `maxBlockFrames` frames each.
    public init(minimumSlots: Int, maxBlockFrames: Int) {
        precondition(minimumSlots > 0 && maxBlockFrames > 0, "ring sizes must be positive")
        var size = 1
        while size < minimumSlots { size <<= 1 }
        slotCount = size
        slotMask = size - 1
        self.maxBlockFrames = maxBlockFrames
        samples = .allocate(capacity: size * maxBlockFrames)
        samples.initialize(repeating: 0, count: size * maxBlockFrames)
        headers = .allocate(capacity: size)
        headers.initialize(repeating: Header(startFrame: 0, frameCount: 0), count: size)
    }

    deinit {
        samples.deallocate()
        headers.deallocate()
    }

    /// Copies a block into the ring (producer side). Returns false and counts a drop when the ring is full.
    /// Blocks longer than `maxBlockFrames` are truncated to it.
    public func push(startFrame: UInt64, samples source: UnsafeBufferPointer<Float>) -> Bool {
        let t = tail.load(ordering: .relaxed)
        let h = head.load(ordering: .acquiring)
        if t &- h >= slotCount {
            dropped.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        let slot = t & slotMask
        let count = min(source.count, maxBlockFrames)
        if let base = source.baseAddress, count > 0 {
            (samples + slot * maxBlockFrames).update(from: base, count: count)
        }
        headers[slot] = Header(startFrame: startFrame, frameCount: count)
        tail.store(t &+ 1, ordering: .releasing)
        return true
    }

    /// Removes the oldest block (consumer side), replacing `block.samples` and `block.startFrame`.
    /// Returns false when the ring is empty. Reuses `block`'s storage when it is large enough.
    public func pop(into block: inout AudioBlock) -> Bool {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        if h == t { return false }
        let slot = h & slotMask
        let header = headers[slot]
        let source = UnsafeBufferPointer(start: samples + slot * maxBlockFrames, count: header.frameCount)
        block.startFrame = header.startFrame
        block.samples.removeAll(keepingCapacity: true)
        block.samples.append(contentsOf: source)
        head.store(h &+ 1, ordering: .releasing)
        return true
    }

    /// Whether every slot is taken (a push now would drop the block). Exact on the producer's thread.
    public var isFull: Bool { pendingBlocks >= slotCount }

    /// Blocks dropped because the ring was full.
    public var droppedBlocks: Int { dropped.load(ordering: .relaxed) }

    /// Blocks waiting to be read.
    public var pendingBlocks: Int { tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring) }
}
