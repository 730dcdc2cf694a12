public import MusicHalCore

/// One MPE zone: a manager channel plus 1...15 member channels that each carry one note's expression.
///
/// A Lower Zone is managed on channel 1 (wire 0) with members on channels 2, 3, …; an Upper Zone is managed
/// on channel 16 (wire 15) with members on channels 15, 14, … (conventions §1).
public struct MPEZone: Sendable, Hashable {
    /// Which end of the channel range the zone occupies.
    public enum Side: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Manager channel 1, members upwards from channel 2.
        case lower
        /// Manager channel 16, members downwards from channel 15.
        case upper

        /// The name used in configuration and OSC (`lower`, `upper`).
        public var description: String { self == .lower ? "lower" : "upper" }

        /// The manager's wire channel: 0 for the Lower Zone, 15 for the Upper Zone.
        public var managerWireChannel: UInt8 { self == .lower ? 0 : 15 }
    }

    /// Valid member channel counts.
    public static let memberCountRange = 1...15
    /// Valid pitch-bend ranges in semitones (RPN 0 coarse value).
    public static let bendRangeLimits = 0...96
    /// The bend range an MCM implies for member channels.
    public static let defaultMemberBendRange = 48
    /// The bend range an MCM implies for the manager channel.
    public static let defaultManagerBendRange = 2

    /// The zone's side.
    public let side: Side
    /// Number of member channels (1...15); also the zone's polyphony.
    public let memberCount: Int
    /// Pitch-bend range of every member channel in semitones (0...96).
    public let memberBendRange: Int
    /// Pitch-bend range of the manager channel in semitones (0...96).
    public let managerBendRange: Int

    /// Creates a zone, checking every value against the MPE specification's limits.
    public init(
        _ side: Side,
        memberCount: Int = 15,
        memberBendRange: Int = MPEZone.defaultMemberBendRange,
        managerBendRange: Int = MPEZone.defaultManagerBendRange
    ) throws(MIDICoreError) {
        guard Self.memberCountRange.contains(memberCount) else { throw .memberCountOutOfRange(memberCount) }
        guard Self.bendRangeLimits.contains(memberBendRange) else {
            throw .pitchBendRangeOutOfRange(memberBendRange)
        }
        guard Self.bendRangeLimits.contains(managerBendRange) else {
            throw .pitchBendRangeOutOfRange(managerBendRange)
        }
        self.side = side
        self.memberCount = memberCount
        self.memberBendRange = memberBendRange
        self.managerBendRange = managerBendRange
    }

    private init(uncheckedSide side: Side, memberCount: Int) {
        self.side = side
        self.memberCount = memberCount
        self.memberBendRange = Self.defaultMemberBendRange
        self.managerBendRange = Self.defaultManagerBendRange
    }

    /// MusicHal's default: one Lower Zone with 15 members and the implied bend ranges (±48, ±2).
    public static let defaultLower = MPEZone(uncheckedSide: .lower, memberCount: 15)

    /// The manager's wire channel (0 or 15).
    public var managerWireChannel: UInt8 { side.managerWireChannel }

    /// The manager's channel number as users write it (1 or 16).
    public var managerChannelNumber: Int { Int(managerWireChannel) + 1 }

    /// Member wire channels in zone order: 1, 2, … for a Lower Zone; 14, 13, … for an Upper Zone.
    public var memberWireChannels: [UInt8] {
        (0..<memberCount).map { memberWireChannel(at: $0) }
    }

    /// The wire channel of the member at `index` (0-based, in zone order).
    public func memberWireChannel(at index: Int) -> UInt8 {
        precondition((0..<memberCount).contains(index), "member index out of range")
        return side == .lower ? UInt8(1 + index) : UInt8(14 - index)
    }

    /// Every wire channel of the zone: the manager first, then the members in zone order.
    public var wireChannels: [UInt8] { [managerWireChannel] + memberWireChannels }

    /// True when `wireChannel` is one of the zone's member channels.
    public func isMember(wireChannel: UInt8) -> Bool {
        switch side {
        case .lower: wireChannel >= 1 && Int(wireChannel) <= memberCount
        case .upper: wireChannel <= 14 && Int(wireChannel) >= 15 - memberCount
        }
    }

    /// The MPE Configuration Message (RPN 6) announcing this zone, e.g. `B0 64 06  B0 65 00  B0 06 07`.
    public var configurationMessage: [MIDIMessage] {
        RegisteredParameter.mpeConfiguration.messages(wireChannel: managerWireChannel, value: UInt8(memberCount))
    }

    /// The MPE Configuration Message with member count 0, which switches the zone on `side` off.
    public static func zoneOffMessage(side: Side) -> [MIDIMessage] {
        RegisteredParameter.mpeConfiguration.messages(wireChannel: side.managerWireChannel, value: 0)
    }

    /// RPN 0 setting the member bend range on one member channel, followed by RPN null.
    public func memberBendRangeMessages(wireChannel: UInt8) -> [MIDIMessage] {
        RegisteredParameter.pitchBendSensitivity.closedMessages(
            wireChannel: wireChannel, value: UInt8(memberBendRange))
    }

    /// RPN 0 setting the manager bend range on the manager channel, followed by RPN null.
    public var managerBendRangeMessages: [MIDIMessage] {
        RegisteredParameter.pitchBendSensitivity.closedMessages(
            wireChannel: managerWireChannel, value: UInt8(managerBendRange))
    }

    /// Everything that configures a receiver for this zone once notes are stopped and controllers reset:
    /// MCM + RPN null on the manager, RPN 0 + RPN null on every member, then RPN 0 + RPN null on the manager.
    ///
    /// The ranges are sent even when they equal the MCM's implied defaults, which removes any doubt.
    public var configurationSequence: [MIDIMessage] {
        var messages = configurationMessage + RegisteredParameter.nullMessages(wireChannel: managerWireChannel)
        for member in memberWireChannels {
            messages += memberBendRangeMessages(wireChannel: member)
        }
        messages += managerBendRangeMessages
        return messages
    }

    /// The per-note pitch-bend value for a deviation in cents at this zone's member bend range.
    public func memberPitchBendValue(cents: Double) -> UInt16 {
        PitchBend.value(cents: cents, bendRangeSemitones: memberBendRange)
    }
}
