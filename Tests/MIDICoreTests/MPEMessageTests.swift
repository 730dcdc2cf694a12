import MIDICore
import MusicHalCore
import Testing

@Suite("MPE message builders")
struct MPEMessageTests {
    @Test(
        "MPE Configuration Message rows of conventions §1",
        arguments: [
            (MPEZone.Side.lower, 7, "B0 64 06 B0 65 00 B0 06 07"),  // JUCE's unit-test vector
            (.lower, 15, "B0 64 06 B0 65 00 B0 06 0F"),
            (.upper, 7, "BF 64 06 BF 65 00 BF 06 07"),
            (.upper, 1, "BF 64 06 BF 65 00 BF 06 01"),
        ])
    func configurationMessage(side: MPEZone.Side, members: Int, expected: String) {
        #expect(hex(zone(side, members: members).configurationMessage) == expected)
    }

    @Test(
        "Zone off is an MCM with member count 0",
        arguments: [
            (MPEZone.Side.lower, "B0 64 06 B0 65 00 B0 06 00"),
            (.upper, "BF 64 06 BF 65 00 BF 06 00"),
        ])
    func zoneOff(side: MPEZone.Side, expected: String) {
        #expect(hex(MPEZone.zoneOffMessage(side: side)) == expected)
    }

    @Test("RPN 0 of ±48 on member channel 2, closed by RPN null")
    func memberBendRange() {
        let messages = MPEZone.defaultLower.memberBendRangeMessages(wireChannel: 1)
        #expect(hex(messages) == "B1 64 00 B1 65 00 B1 06 30 B1 65 7F B1 64 7F")
    }

    @Test("RPN 0 of ±2 on the manager, closed by RPN null")
    func managerBendRange() {
        #expect(hex(MPEZone.defaultLower.managerBendRangeMessages) == "B0 64 00 B0 65 00 B0 06 02 B0 65 7F B0 64 7F")
    }

    @Test("RPN null is Bn 65 7F Bn 64 7F", arguments: [(UInt8(0), "B0 65 7F B0 64 7F"), (15, "BF 65 7F BF 64 7F")])
    func rpnNull(channel: UInt8, expected: String) {
        #expect(hex(RegisteredParameter.nullMessages(wireChannel: channel)) == expected)
    }

    @Test("The default zone is a 15-member Lower Zone with ±48 / ±2")
    func defaultZone() {
        let zone = MPEZone.defaultLower
        #expect(zone.side == .lower)
        #expect(zone.memberCount == 15)
        #expect(zone.memberBendRange == 48)
        #expect(zone.managerBendRange == 2)
        #expect(zone.memberWireChannels == Array(1...15))
        #expect(zone.managerChannelNumber == 1)
    }

    @Test("Upper Zone: manager on channel 16, members from channel 15 downwards")
    func upperZoneChannels() {
        let upper = zone(.upper, members: 3)
        #expect(upper.managerWireChannel == 15)
        #expect(upper.managerChannelNumber == 16)
        #expect(upper.memberWireChannels == [14, 13, 12])
        #expect(upper.wireChannels == [15, 14, 13, 12])
        #expect(upper.isMember(wireChannel: 12))
        #expect(!upper.isMember(wireChannel: 11))
        #expect(!upper.isMember(wireChannel: 15))
        let lower = zone(.lower, members: 3)
        #expect(lower.isMember(wireChannel: 3))
        #expect(!lower.isMember(wireChannel: 4))
        #expect(!lower.isMember(wireChannel: 0))
    }

    @Test("Configuration sequence: MCM, null, RPN 0 + null per member, RPN 0 + null on the manager")
    func configurationSequenceLower() {
        let sequence = zone(.lower, members: 2, memberBend: 24, managerBend: 12).configurationSequence
        let expected = [
            "B0 64 06 B0 65 00 B0 06 02", "B0 65 7F B0 64 7F",
            "B1 64 00 B1 65 00 B1 06 18", "B1 65 7F B1 64 7F",
            "B2 64 00 B2 65 00 B2 06 18", "B2 65 7F B2 64 7F",
            "B0 64 00 B0 65 00 B0 06 0C", "B0 65 7F B0 64 7F",
        ].joined(separator: " ")
        #expect(hex(sequence) == expected)
    }

    @Test("Configuration sequence of an Upper Zone uses BF and members downwards")
    func configurationSequenceUpper() {
        let sequence = zone(.upper, members: 2).configurationSequence
        let expected = [
            "BF 64 06 BF 65 00 BF 06 02", "BF 65 7F BF 64 7F",
            "BE 64 00 BE 65 00 BE 06 30", "BE 65 7F BE 64 7F",
            "BD 64 00 BD 65 00 BD 06 30", "BD 65 7F BD 64 7F",
            "BF 64 00 BF 65 00 BF 06 02", "BF 65 7F BF 64 7F",
        ].joined(separator: " ")
        #expect(hex(sequence) == expected)
    }

    @Test("A 15-member zone configures all 15 members and the manager")
    func fullZoneSequence() {
        let sequence = MPEZone.defaultLower.configurationSequence
        #expect(sequence.count == 5 + 15 * 5 + 5)
        let ranges = sequence.filter { $0.kind == 0xB0 && $0.data1 == 0x06 }
        #expect(ranges.map(\.channel) == [0] + Array(1...15) + [0])
        #expect(ranges.map(\.data2) == [15] + Array(repeating: 48, count: 15) + [2])
    }

    @Test(
        "Zone values outside the MPE limits are refused",
        arguments: [
            (0, 48, 2, MIDICoreError.memberCountOutOfRange(0)),
            (16, 48, 2, .memberCountOutOfRange(16)),
            (15, 97, 2, .pitchBendRangeOutOfRange(97)),
            (15, -1, 2, .pitchBendRangeOutOfRange(-1)),
            (15, 48, 97, .pitchBendRangeOutOfRange(97)),
        ])
    func invalidZone(members: Int, memberBend: Int, managerBend: Int, error: MIDICoreError) {
        #expect(throws: error) {
            try MPEZone(.lower, memberCount: members, memberBendRange: memberBend, managerBendRange: managerBend)
        }
    }

    @Test("Zone limits are accepted at their edges", arguments: [(1, 0, 0), (15, 96, 96)])
    func validZoneEdges(members: Int, memberBend: Int, managerBend: Int) throws {
        let zone = try MPEZone(.upper, memberCount: members, memberBendRange: memberBend, managerBendRange: managerBend)
        #expect(zone.memberCount == members)
        #expect(zone.configurationMessage.last?.data2 == UInt8(members))
    }
}

@Suite("Pitch bend")
struct PitchBendTests {
    @Test(
        "value = clamp(8192 + semitones / range × 8192, 0, 16383)",
        arguments: [
            (0.0, 48, UInt16(8192)),
            (1.0, 48, 8363),  // 8362.67 rounded
            (-1.0, 48, 8021),  // 8021.33 rounded
            (0.5, 48, 8277),
            (2.0, 2, 16383),  // +range would be 16384: clamped
            (-2.0, 2, 0),
            (48.0, 48, 16383),
            (-48.0, 48, 0),
            (100.0, 48, 16383),
            (-100.0, 48, 0),
            (1.0, 0, 8192),  // no range: nothing can be expressed
            (Double.nan, 48, 8192),
            (Double.infinity, 48, 8192),
        ])
    func value(semitones: Double, range: Int, expected: UInt16) {
        #expect(PitchBend.value(semitones: semitones, bendRangeSemitones: range) == expected)
    }

    @Test("Cents are hundredths of a semitone")
    func cents() {
        #expect(PitchBend.value(cents: 100, bendRangeSemitones: 48) == 8363)
        #expect(MPEZone.defaultLower.memberPitchBendValue(cents: -50) == 8107)
    }

    @Test("Centre bend on the wire is En 00 40")
    func centreBytes() {
        #expect(MIDIMessage.pitchBend(channel: 1, value: PitchBend.centre).description == "E1 00 40")
        #expect(MIDIMessage.pitchBend(channel: 1, value: 8363).description == "E1 2B 41")
    }
}

@Suite("Voice channels")
struct VoiceChannelsTests {
    @Test("Channel numbers 1-16 map to wire channels 0-15")
    func numbersToWire() throws {
        let channels = try VoiceChannels(melodyChannelNumber: 1, bassChannelNumber: 16)
        #expect(channels.melodyWireChannel == 0)
        #expect(channels.bassWireChannel == 15)
        #expect(channels.wireChannel(for: .melody) == 0)
        #expect(channels.wireChannel(for: .bass) == 15)
        #expect(channels.melodyChannelNumber == 1)
        #expect(channels.bassChannelNumber == 16)
        #expect(channels.wireChannels == [0, 15])
    }

    @Test("A shared channel is listed once")
    func sharedChannel() {
        #expect(VoiceChannels.default.wireChannels == [0])
    }

    @Test("Out-of-range channels are refused", arguments: [0, 17, -1])
    func invalidNumbers(number: Int) {
        #expect(throws: MIDICoreError.channelNumberOutOfRange(number)) {
            try VoiceChannels(melodyChannelNumber: number, bassChannelNumber: 1)
        }
        #expect(throws: MIDICoreError.channelNumberOutOfRange(number)) {
            try VoiceChannels(melodyChannelNumber: 1, bassChannelNumber: number)
        }
    }

    @Test("Wire channel 16 is refused")
    func invalidWire() {
        #expect(throws: MIDICoreError.wireChannelOutOfRange(16)) {
            try VoiceChannels(melodyWireChannel: 16, bassWireChannel: 0)
        }
    }

    @Test("Errors describe the value and the valid range")
    func errorDescriptions() {
        #expect(MIDICoreError.channelNumberOutOfRange(17).description == "MIDI channel number 17 is outside 1...16")
        #expect(MIDICoreError.truncatedFile(offset: 22).description.contains("22"))
        #expect(MIDICoreError.unexpectedStatusByte(0xF8, offset: 3).description.contains("0xF8"))
    }
}
