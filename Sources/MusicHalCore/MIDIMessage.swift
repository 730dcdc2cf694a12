/// A complete channel-voice MIDI message (one status byte and up to two data bytes).
///
/// A plain trivially copyable value, so it can cross lock-free rings into the real-time thread. Every
/// constructor checks that data bytes are below 0x80, so nothing malformed leaves the encoder.
public struct MIDIMessage: Sendable, Hashable, BitwiseCopyable, CustomStringConvertible {
    /// Status byte (0x80...0xEF).
    public let status: UInt8
    /// First data byte.
    public let data1: UInt8
    /// Second data byte (0 when the message has only one).
    public let data2: UInt8
    /// Number of bytes on the wire: 2 or 3.
    public let length: UInt8

    private init(status: UInt8, data1: UInt8, data2: UInt8, length: UInt8) {
        precondition(data1 < 0x80 && data2 < 0x80, "MIDI data bytes must be below 0x80")
        self.status = status
        self.data1 = data1
        self.data2 = data2
        self.length = length
    }

    private static func status(_ kind: UInt8, _ channel: UInt8) -> UInt8 {
        precondition(channel < 16, "MIDI channel must be 0...15 on the wire")
        return kind | channel
    }

    /// Note On; velocity is clamped to 1...127 (velocity 0 would mean Note Off to receivers).
    public static func noteOn(channel: UInt8, note: UInt8, velocity: UInt8) -> MIDIMessage {
        MIDIMessage(status: status(0x90, channel), data1: note, data2: max(1, min(velocity, 127)), length: 3)
    }

    /// Note Off with a release velocity (64 when the sender has none).
    public static func noteOff(channel: UInt8, note: UInt8, velocity: UInt8 = 64) -> MIDIMessage {
        MIDIMessage(status: status(0x80, channel), data1: note, data2: velocity, length: 3)
    }

    /// Control Change.
    public static func controlChange(channel: UInt8, controller: UInt8, value: UInt8) -> MIDIMessage {
        MIDIMessage(status: status(0xB0, channel), data1: controller, data2: value, length: 3)
    }

    /// Program Change.
    public static func programChange(channel: UInt8, program: UInt8) -> MIDIMessage {
        MIDIMessage(status: status(0xC0, channel), data1: program, data2: 0, length: 2)
    }

    /// Channel Pressure (aftertouch).
    public static func channelPressure(channel: UInt8, pressure: UInt8) -> MIDIMessage {
        MIDIMessage(status: status(0xD0, channel), data1: pressure, data2: 0, length: 2)
    }

    /// Pitch Bend with a 14-bit value (8192 = centre).
    public static func pitchBend(channel: UInt8, value: UInt16) -> MIDIMessage {
        precondition(value < 16384, "pitch bend is 14 bits")
        return MIDIMessage(
            status: status(0xE0, channel), data1: UInt8(value & 0x7F), data2: UInt8(value >> 7), length: 3)
    }

    /// Decodes one complete channel-voice message as it arrives on a MIDI input (JACK MIDI buffers and ALSA
    /// sequencer events carry whole messages; no running status). Nil for anything else: system and real-time
    /// messages, Polyphonic Key Pressure, a missing or out-of-range data byte. A Note On with velocity 0 becomes a
    /// Note Off (velocity 64), as every receiver treats it. Real-time safe: no allocation.
    public init?(wire bytes: UnsafeBufferPointer<UInt8>) {
        // Through the base pointer only: generic Collection members (`first`) allocate a coroutine frame per call
        // in debug builds, which RealtimeSanitizer reports in the JACK callback.
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        let status = base[0]
        guard status >= 0x80, status < 0xF0, status & 0xF0 != 0xA0 else { return nil }
        let kind = status & 0xF0
        let needed = kind == 0xC0 || kind == 0xD0 ? 2 : 3
        guard bytes.count >= needed else { return nil }
        let data1 = base[1]
        let data2 = needed == 3 ? base[2] : 0
        guard data1 < 0x80, data2 < 0x80 else { return nil }
        if kind == 0x90 && data2 == 0 {
            self.init(status: 0x80 | (status & 0x0F), data1: data1, data2: 64, length: 3)
        } else {
            self.init(status: status, data1: data1, data2: data2, length: UInt8(needed))
        }
    }

    /// The channel nibble (0...15).
    public var channel: UInt8 { status & 0x0F }

    /// The message kind nibble (0x80, 0x90, ... 0xE0).
    public var kind: UInt8 { status & 0xF0 }

    /// True for a Note On.
    public var isNoteOn: Bool { kind == 0x90 }

    /// True for a Note Off.
    public var isNoteOff: Bool { kind == 0x80 }

    /// The bytes as sent on the wire.
    public var bytes: [UInt8] { length == 2 ? [status, data1] : [status, data1, data2] }

    /// Hexadecimal bytes, e.g. `90 3C 64`.
    public var description: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}

/// A MIDI message due at a frame of the sample clock, on one output port.
public struct TimedMIDIMessage: Sendable, Hashable, BitwiseCopyable {
    /// Frame at which the message is due.
    public var frame: FrameTime
    /// Output port index (0 when the sink has one port).
    public var port: UInt8
    /// The message.
    public var message: MIDIMessage

    /// Creates a timed message.
    public init(frame: FrameTime, port: UInt8 = 0, message: MIDIMessage) {
        self.frame = frame
        self.port = port
        self.message = message
    }
}
