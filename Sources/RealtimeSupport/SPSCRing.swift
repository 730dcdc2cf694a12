import Synchronization

/// A bounded lock-free single-producer/single-consumer queue of trivially copyable elements.
///
/// Safe between exactly one producer thread and one consumer thread: `push` never blocks or allocates, so
/// the real-time audio callback may be either side. When the ring is full, `push` returns false and the
/// producer counts the drop; nothing waits.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    // @unchecked: the storage is shared by design; head and tail atomics with acquire/release ordering
    // give the producer and the consumer each exclusive access to the slots they own.
    private let storage: UnsafeMutablePointer<Element>
    private let mask: Int
    private let head = Atomic<Int>(0)  // next slot to read; written by the consumer only
    private let tail = Atomic<Int>(0)  // next slot to write; written by the producer only

    /// Number of slots (a power of two, at least the requested capacity).
    public let capacity: Int

    /// Creates a ring holding at least `minimumCapacity` elements.
    public init(minimumCapacity: Int) {
        precondition(minimumCapacity > 0, "ring capacity must be positive")
        var size = 1
        while size < minimumCapacity { size <<= 1 }
        capacity = size
        mask = size - 1
        storage = .allocate(capacity: size)
    }

    deinit { storage.deallocate() }

    /// Appends an element; false when the ring is full (the element is dropped).
    @inlinable @inline(__always)
    public func push(_ element: Element) -> Bool { pushElement(element) }

    @usableFromInline
    func pushElement(_ element: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        let h = head.load(ordering: .acquiring)
        if t &- h >= capacity { return false }
        (storage + (t & mask)).initialize(to: element)
        tail.store(t &+ 1, ordering: .releasing)
        return true
    }

    /// Removes the oldest element, or nil when empty.
    @inlinable @inline(__always)
    public func pop() -> Element? { popElement() }

    @usableFromInline
    func popElement() -> Element? {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        if h == t { return nil }
        let element = storage[h & mask]
        head.store(h &+ 1, ordering: .releasing)
        return element
    }

    /// The oldest element without removing it, or nil when empty (consumer side only).
    public func peek() -> Element? {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        return h == t ? nil : storage[h & mask]
    }

    /// Number of elements waiting (a snapshot; exact only on the consumer or producer thread).
    public var count: Int { tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring) }

    /// True when nothing is waiting.
    public var isEmpty: Bool { count == 0 }
}
