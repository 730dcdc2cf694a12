public import MusicHalCore

/// A note that is sounding on the output: its Note On was sent and its Note Off is still due.
public struct ActiveNote: Sendable, Hashable {
    /// The scheduler's serial number for the note, unique while the scheduler lives.
    public var id: UInt64
    /// Wire channel (0...15) the note sounds on.
    public var wireChannel: UInt8
    /// MIDI note number.
    public var pitch: UInt8
    /// The voice that plays it.
    public var voice: Voice
    /// Frame of its Note On.
    public var startFrame: FrameTime
    /// Frame its Note Off is scheduled for.
    public var endFrame: FrameTime

    /// Creates an entry.
    public init(id: UInt64, wireChannel: UInt8, pitch: UInt8, voice: Voice, startFrame: FrameTime, endFrame: FrameTime)
    {
        self.id = id
        self.wireChannel = wireChannel
        self.pitch = pitch
        self.voice = voice
        self.startFrame = startFrame
        self.endFrame = endFrame
    }
}

/// The sounding notes keyed by (wire channel, note number): the single source of truth for stuck-note prevention.
///
/// Storage is a fixed table of 16 × 128 slots allocated once, so lookups, inserts and removals never allocate.
public struct ActiveNoteTable: Sendable {
    private static let slotCount = 16 * 128
    private var slots: [ActiveNote?]

    /// Number of sounding notes.
    public private(set) var count = 0

    /// Creates an empty table.
    public init() {
        slots = Array(repeating: nil, count: Self.slotCount)
    }

    private static func slot(wireChannel: UInt8, pitch: UInt8) -> Int {
        precondition(wireChannel < 16 && pitch < 128, "MIDI key out of range")
        return Int(wireChannel) << 7 | Int(pitch)
    }

    /// True when no note is sounding.
    public var isEmpty: Bool { count == 0 }

    /// The note sounding on this key, if any.
    public func note(wireChannel: UInt8, pitch: UInt8) -> ActiveNote? {
        slots[Self.slot(wireChannel: wireChannel, pitch: pitch)]
    }

    /// True when this key is sounding.
    public func contains(wireChannel: UInt8, pitch: UInt8) -> Bool {
        note(wireChannel: wireChannel, pitch: pitch) != nil
    }

    /// Records a note; false (and no change) when its key is already sounding, because a second Note On for an
    /// active key is never allowed: end the sounding note first.
    public mutating func insert(_ note: ActiveNote) -> Bool {
        let slot = Self.slot(wireChannel: note.wireChannel, pitch: note.pitch)
        guard slots[slot] == nil else { return false }
        slots[slot] = note
        count += 1
        return true
    }

    /// Forgets the note on this key and returns it, or nil when the key was silent.
    @discardableResult
    public mutating func remove(wireChannel: UInt8, pitch: UInt8) -> ActiveNote? {
        let slot = Self.slot(wireChannel: wireChannel, pitch: pitch)
        guard let note = slots[slot] else { return nil }
        slots[slot] = nil
        count -= 1
        return note
    }

    /// The sounding note with this id on any channel at `pitch`, found without allocating.
    public func note(id: UInt64, pitch: UInt8) -> ActiveNote? {
        for channel in UInt8(0)..<16 {
            if let note = note(wireChannel: channel, pitch: pitch), note.id == id { return note }
        }
        return nil
    }

    /// Every sounding note, oldest Note On first (ties by id).
    public var notesByAge: [ActiveNote] {
        slots.compactMap { $0 }.sorted { ($0.startFrame, $0.id) < ($1.startFrame, $1.id) }
    }

    /// Forgets every note, keeping the storage.
    public mutating func removeAll() {
        guard count > 0 else { return }
        for index in slots.indices { slots[index] = nil }
        count = 0
    }
}
