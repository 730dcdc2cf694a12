/// Where the allocator put a new MPE note.
public enum MemberChannelAssignment: Sendable, Hashable {
    /// The channel was free; the note can start at once.
    case free(wireChannel: UInt8)
    /// Every channel was busy: the note takes over the channel whose note started longest ago, and the caller
    /// must send that note's Note Off (`previousPitch`) before the new note's data.
    case stolen(wireChannel: UInt8, previousPitch: UInt8)

    /// The member wire channel the new note plays on.
    public var wireChannel: UInt8 {
        switch self {
        case .free(let channel), .stolen(let channel, _): channel
        }
    }
}

/// Hands out MPE member channels so no two sounding notes ever share one (per-note bend would be wrong).
///
/// MusicHal's rule (conventions §1): take the least-recently-released free channel; when none is free, steal the
/// least-recently-assigned channel, whose note is the oldest. Polyphony is therefore capped at the member count.
/// Recency is an internal counter, not a clock, so allocation is deterministic. Nothing allocates after `init`.
public struct MemberChannelAllocator: Sendable {
    private struct Slot: Sendable {
        var wireChannel: UInt8
        var pitch: UInt8?  // nil when free
        var stamp: UInt64  // when free: release order; when busy: assignment order
    }

    private var slots: [Slot]
    private var clock: UInt64

    /// Creates an allocator over the zone's members; initially all free, taken in zone order.
    public init(zone: MPEZone) {
        slots = zone.memberWireChannels.enumerated().map { index, channel in
            Slot(wireChannel: channel, pitch: nil, stamp: UInt64(index))
        }
        clock = UInt64(slots.count)
    }

    /// The member wire channels in zone order.
    public var memberWireChannels: [UInt8] { slots.map(\.wireChannel) }

    /// Number of member channels holding a note.
    public var soundingCount: Int { slots.reduce(0) { $0 + ($1.pitch == nil ? 0 : 1) } }

    /// The pitch sounding on a member channel, or nil when it is free or not a member.
    public func pitch(onWireChannel wireChannel: UInt8) -> UInt8? {
        slots.first { $0.wireChannel == wireChannel }?.pitch
    }

    /// Chooses the channel for a new note of `pitch` and marks it busy.
    public mutating func acquire(pitch: UInt8) -> MemberChannelAssignment {
        var chosen = -1
        for index in slots.indices where slots[index].pitch == nil {
            if chosen < 0 || slots[index].stamp < slots[chosen].stamp { chosen = index }
        }
        var assignment: MemberChannelAssignment
        if chosen >= 0 {
            assignment = .free(wireChannel: slots[chosen].wireChannel)
        } else {
            chosen = slots.indices.min { slots[$0].stamp < slots[$1].stamp } ?? 0
            assignment = .stolen(wireChannel: slots[chosen].wireChannel, previousPitch: slots[chosen].pitch ?? 0)
        }
        slots[chosen].pitch = pitch
        slots[chosen].stamp = tick()
        return assignment
    }

    /// Marks a member channel free after its Note Off; false when it was already free or is not a member.
    @discardableResult
    public mutating func release(wireChannel: UInt8) -> Bool {
        guard let index = slots.firstIndex(where: { $0.wireChannel == wireChannel }), slots[index].pitch != nil
        else { return false }
        slots[index].pitch = nil
        slots[index].stamp = tick()
        return true
    }

    private mutating func tick() -> UInt64 {
        defer { clock += 1 }
        return clock
    }
}
