import MIDICore
import MusicHalCore

/// Messages as the conventions write them: upper-case hex bytes separated by single spaces.
func hex(_ messages: [MIDIMessage]) -> String {
    messages.map(\.description).joined(separator: " ")
}

/// Timed messages as hex, ignoring their frames.
func hex(_ messages: [TimedMIDIMessage]) -> String {
    hex(messages.map(\.message))
}

/// Bytes as hex, the same way.
func hex(bytes: [UInt8]) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
}

/// Parses "B0 64 06" into bytes.
func bytes(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}

/// Messages of one frame, as hex.
func hex(_ messages: [TimedMIDIMessage], atFrame frame: FrameTime) -> String {
    hex(messages.filter { $0.frame == frame })
}

/// A lower or upper zone that the test knows to be valid.
func zone(_ side: MPEZone.Side, members: Int, memberBend: Int = 48, managerBend: Int = 2) -> MPEZone {
    try! MPEZone(side, memberCount: members, memberBendRange: memberBend, managerBendRange: managerBend)
}

/// Standard mode with the melody on channel number `melody` and the bass on `bass` (1...16).
func standardMode(melody: Int = 1, bass: Int = 2) -> MIDIOutputMode {
    .standard(channels: try! VoiceChannels(melodyChannelNumber: melody, bassChannelNumber: bass))
}
