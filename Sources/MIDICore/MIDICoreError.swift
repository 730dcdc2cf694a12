/// Everything that can go wrong in MIDICore: invalid configuration values and unreadable Standard MIDI Files.
///
/// `description` is the text that OSC `/fail` replies and logs show, so it names the value and the valid range.
public enum MIDICoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A channel number as users write it was outside 1...16.
    case channelNumberOutOfRange(Int)
    /// A wire channel (the status byte's nibble) was outside 0...15.
    case wireChannelOutOfRange(Int)
    /// An MPE zone was given a member count outside 1...15.
    case memberCountOutOfRange(Int)
    /// A pitch-bend range in semitones was outside 0...96.
    case pitchBendRangeOutOfRange(Int)
    /// A sample rate was not positive and finite.
    case invalidSampleRate(Double)
    /// The bytes do not start with a Standard MIDI File header chunk (`MThd`).
    case notAStandardMIDIFile
    /// The file ended in the middle of something; `offset` is where the missing bytes should have been.
    case truncatedFile(offset: Int)
    /// The header chunk is shorter than the six bytes it must hold.
    case invalidHeaderLength(Int)
    /// The file format is not 0 or 1 (format 2 holds independent sequences, which MusicHal does not read).
    case unsupportedFormat(Int)
    /// The header's time division is zero ticks per quarter note or an unknown SMPTE rate.
    case invalidTimeDivision(UInt16)
    /// A variable-length quantity ran longer than four bytes.
    case invalidVariableLengthQuantity(offset: Int)
    /// A data byte came where a status byte was needed and no running status was in effect.
    case missingRunningStatus(offset: Int)
    /// A status byte that cannot appear in a track (system common or real-time) was found.
    case unexpectedStatusByte(UInt8, offset: Int)
    /// A byte of 0x80 or more was found where a channel message needed a data byte.
    case invalidDataByte(UInt8, offset: Int)
    /// A meta event whose length or content is impossible, such as a tempo that is not three non-zero bytes.
    case invalidMetaEvent(type: UInt8, offset: Int)

    /// A human-readable explanation naming the offending value.
    public var description: String {
        switch self {
        case .channelNumberOutOfRange(let number):
            "MIDI channel number \(number) is outside 1...16"
        case .wireChannelOutOfRange(let channel):
            "MIDI wire channel \(channel) is outside 0...15"
        case .memberCountOutOfRange(let count):
            "MPE member channel count \(count) is outside 1...15"
        case .pitchBendRangeOutOfRange(let range):
            "pitch-bend range \(range) semitones is outside 0...96"
        case .invalidSampleRate(let rate):
            "sample rate \(rate) is not a positive finite number"
        case .notAStandardMIDIFile:
            "not a Standard MIDI File: the bytes do not start with an MThd header chunk"
        case .truncatedFile(let offset):
            "Standard MIDI File is truncated: data missing at byte \(offset)"
        case .invalidHeaderLength(let length):
            "Standard MIDI File header chunk has length \(length), at least 6 is required"
        case .unsupportedFormat(let format):
            "Standard MIDI File format \(format) is not supported (only 0 and 1)"
        case .invalidTimeDivision(let division):
            "Standard MIDI File time division 0x\(hex(division)) is invalid"
        case .invalidVariableLengthQuantity(let offset):
            "variable-length quantity at byte \(offset) is longer than four bytes"
        case .missingRunningStatus(let offset):
            "data byte at byte \(offset) has no status byte and no running status"
        case .unexpectedStatusByte(let status, let offset):
            "status byte 0x\(hex(status)) at byte \(offset) cannot appear in a MIDI file track"
        case .invalidDataByte(let byte, let offset):
            "byte 0x\(hex(byte)) at byte \(offset) is not a valid MIDI data byte"
        case .invalidMetaEvent(let type, let offset):
            "meta event 0x\(hex(type)) at byte \(offset) has invalid content"
        }
    }
}

/// Upper-case hexadecimal digits of an unsigned integer, without prefix.
private func hex(_ value: some BinaryInteger) -> String {
    String(value, radix: 16, uppercase: true)
}
