public import MusicHalCore

/// The wire channel each voice plays on in standard (non-MPE) output.
///
/// Both voices may share one channel; then a repeated pitch in either voice retriggers the sounding note.
public struct VoiceChannels: Sendable, Hashable {
    /// Wire channel (0...15) of the melody voice.
    public let melodyWireChannel: UInt8
    /// Wire channel (0...15) of the bass voice.
    public let bassWireChannel: UInt8

    /// Creates the mapping from wire channels (0...15).
    public init(melodyWireChannel: UInt8, bassWireChannel: UInt8) throws(MIDICoreError) {
        guard melodyWireChannel < 16 else { throw .wireChannelOutOfRange(Int(melodyWireChannel)) }
        guard bassWireChannel < 16 else { throw .wireChannelOutOfRange(Int(bassWireChannel)) }
        self.melodyWireChannel = melodyWireChannel
        self.bassWireChannel = bassWireChannel
    }

    /// Creates the mapping from channel numbers as users write them (1...16).
    public init(melodyChannelNumber: Int, bassChannelNumber: Int) throws(MIDICoreError) {
        guard (1...16).contains(melodyChannelNumber) else { throw .channelNumberOutOfRange(melodyChannelNumber) }
        guard (1...16).contains(bassChannelNumber) else { throw .channelNumberOutOfRange(bassChannelNumber) }
        self.melodyWireChannel = UInt8(melodyChannelNumber - 1)
        self.bassWireChannel = UInt8(bassChannelNumber - 1)
    }

    /// Both voices on channel 1 (wire channel 0), the one configurable channel of conventions §1.
    public static let `default` = VoiceChannels(uncheckedMelody: 0, bass: 0)

    private init(uncheckedMelody melody: UInt8, bass: UInt8) {
        melodyWireChannel = melody
        bassWireChannel = bass
    }

    /// The wire channel `voice` plays on.
    public func wireChannel(for voice: Voice) -> UInt8 {
        voice == .melody ? melodyWireChannel : bassWireChannel
    }

    /// The melody's channel number as users write it (1...16).
    public var melodyChannelNumber: Int { Int(melodyWireChannel) + 1 }

    /// The bass's channel number as users write it (1...16).
    public var bassChannelNumber: Int { Int(bassWireChannel) + 1 }

    /// The distinct wire channels in use, melody first.
    public var wireChannels: [UInt8] {
        melodyWireChannel == bassWireChannel ? [melodyWireChannel] : [melodyWireChannel, bassWireChannel]
    }
}
