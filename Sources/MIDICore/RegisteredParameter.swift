public import MusicHalCore

/// A Registered Parameter Number (RPN) MusicHal sets, with the builders for its Control Change sequence.
public enum RegisteredParameter: Sendable, Hashable {
    /// RPN 0, pitch-bend sensitivity: the bend range in semitones (data entry MSB) and cents (LSB).
    case pitchBendSensitivity
    /// RPN 6, the MPE Configuration Message: the member channel count of the zone whose manager receives it.
    case mpeConfiguration

    /// The parameter number's most significant 7 bits (CC101 value).
    public var numberMSB: UInt8 { 0 }

    /// The parameter number's least significant 7 bits (CC100 value).
    public var numberLSB: UInt8 {
        switch self {
        case .pitchBendSensitivity: 0
        case .mpeConfiguration: 6
        }
    }

    /// Selects the parameter and sets its value: `Bn 64 lsb  Bn 65 msb  Bn 06 value`.
    ///
    /// The LSB comes first, as in JUCE's MPE test vector. `value` must be below 0x80. The caller closes the
    /// sequence with `nullMessages(wireChannel:)` so a stray CC6 cannot change the parameter later.
    public func messages(wireChannel: UInt8, value: UInt8) -> [MIDIMessage] {
        [
            .controlChange(channel: wireChannel, controller: MIDIController.registeredParameterLSB, value: numberLSB),
            .controlChange(channel: wireChannel, controller: MIDIController.registeredParameterMSB, value: numberMSB),
            .controlChange(channel: wireChannel, controller: MIDIController.dataEntryMSB, value: value),
        ]
    }

    /// The same as `messages(wireChannel:value:)` followed by the RPN null that closes it.
    public func closedMessages(wireChannel: UInt8, value: UInt8) -> [MIDIMessage] {
        messages(wireChannel: wireChannel, value: value) + Self.nullMessages(wireChannel: wireChannel)
    }

    /// RPN null, `Bn 65 7F  Bn 64 7F`: deselects any parameter so later data entry does nothing.
    public static func nullMessages(wireChannel: UInt8) -> [MIDIMessage] {
        [
            .controlChange(channel: wireChannel, controller: MIDIController.registeredParameterMSB, value: 0x7F),
            .controlChange(channel: wireChannel, controller: MIDIController.registeredParameterLSB, value: 0x7F),
        ]
    }
}
