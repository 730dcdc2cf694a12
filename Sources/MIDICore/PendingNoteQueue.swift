import MusicHalCore

/// A note start or end waiting for its frame.
struct PendingNoteEvent: Sendable {
    /// Frame at which the event is due.
    var frame: FrameTime
    /// Insertion order, which keeps events of equal frame and kind in the order they were scheduled.
    var sequence: UInt64
    /// True for the end of a note, false for its start.
    var isEnd: Bool
    /// The note's serial number, shared by its start and end.
    var noteID: UInt64
    var pitch: UInt8
    var velocity: UInt8
    var voice: Voice
    var cents: Double
    /// Frame of the note's end, carried by the start so the active-note table can record it.
    var endFrame: FrameTime

    /// Due order: by frame; at one frame, ends before starts (so a freed channel or key can be reused without a
    /// steal or retrigger), then in scheduling order.
    func isDue(before other: PendingNoteEvent) -> Bool {
        if frame != other.frame { return frame < other.frame }
        if isEnd != other.isEnd { return isEnd }
        return sequence < other.sequence
    }
}

/// A binary min-heap of pending note events with a fixed capacity reserved up front, so it never grows.
struct PendingNoteQueue: Sendable {
    private var heap: [PendingNoteEvent]
    private var nextSequence: UInt64 = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity >= 2, "the queue must hold at least one note's start and end")
        self.capacity = capacity
        heap = []
        heap.reserveCapacity(capacity)
    }

    var count: Int { heap.count }
    var first: PendingNoteEvent? { heap.first }
    var freeSlots: Int { capacity - heap.count }

    /// Adds an event, stamping its sequence; the caller checks `freeSlots` first.
    mutating func insert(_ event: PendingNoteEvent) {
        precondition(heap.count < capacity, "pending note queue is full")
        var stamped = event
        stamped.sequence = nextSequence
        nextSequence += 1
        heap.append(stamped)
        siftUp(from: heap.count - 1)
    }

    /// Removes and returns the earliest event.
    mutating func popFirst() -> PendingNoteEvent? {
        guard !heap.isEmpty else { return nil }
        return remove(at: 0)
    }

    /// Removes the pending end of a note that stopped early (retrigger, steal); linear in the queue size.
    mutating func removeEnd(ofNote noteID: UInt64) {
        if let index = heap.firstIndex(where: { $0.isEnd && $0.noteID == noteID }) {
            _ = remove(at: index)
        }
    }

    /// Drops every event, keeping the storage.
    mutating func removeAll() {
        heap.removeAll(keepingCapacity: true)
    }

    private mutating func remove(at index: Int) -> PendingNoteEvent {
        let removed = heap[index]
        let last = heap.removeLast()
        if index < heap.count {
            heap[index] = last
            siftDown(from: index)
            siftUp(from: index)
        }
        return removed
    }

    private mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].isDue(before: heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            var earliest = left
            if right < heap.count && heap[right].isDue(before: heap[left]) { earliest = right }
            guard heap[earliest].isDue(before: heap[parent]) else { return }
            heap.swapAt(parent, earliest)
            parent = earliest
        }
    }
}
