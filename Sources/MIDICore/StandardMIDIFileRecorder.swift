public import MusicHalCore

/// Builds a Standard MIDI File incrementally while a performance runs, so the file can be rewritten every few
/// seconds and a crash loses at most the last interval.
///
/// Each track's events are encoded as they are appended, so `encoded()` only concatenates chunks. The layout and
/// timing are those of `StandardMIDIFile`: format 1, a tempo track, 960 ticks per quarter at 120 bpm.
public struct StandardMIDIFileRecorder: Sendable {
    private struct TrackState: Sendable {
        var body: [UInt8]
        var lastTick: UInt64
        var messageCount: Int
    }

    /// Sample rate of the frames appended messages are stamped with.
    public let sampleRate: Double
    /// Names of the tracks after the tempo track, in file order.
    public let trackNames: [String]
    private var tracks: [TrackState]

    /// Creates a recorder with one track per name; `sampleRate` must be positive and finite.
    public init(sampleRate: Double, trackNames: [String]) throws(MIDICoreError) {
        guard sampleRate.isFinite && sampleRate > 0 else { throw .invalidSampleRate(sampleRate) }
        precondition(trackNames.count < Int(UInt16.max), "a MIDI file holds fewer than 65535 tracks")
        self.sampleRate = sampleRate
        self.trackNames = trackNames
        tracks = trackNames.map { name in
            var body: [UInt8] = [0x00, 0xFF, 0x03]
            let nameBytes = Array(name.utf8.prefix(Int(VariableLengthQuantity.maximum)))
            VariableLengthQuantity.append(UInt32(nameBytes.count), to: &body)
            body += nameBytes
            return TrackState(body: body, lastTick: 0, messageCount: 0)
        }
    }

    /// Number of messages appended to `track`.
    public func messageCount(track: Int) -> Int { tracks[track].messageCount }

    /// Appends a message to track `track` (0 is the first named track).
    ///
    /// Append in frame order: a message earlier than the track's previous one is written at the previous time.
    /// The message's port is not recorded; give each port its own track when it matters.
    public mutating func append(_ message: TimedMIDIMessage, toTrack track: Int) {
        precondition(tracks.indices.contains(track), "no track \(track) in this recorder")
        let tick = max(StandardMIDIFile.tick(forFrame: message.frame, sampleRate: sampleRate), tracks[track].lastTick)
        Self.appendDelta(tick - tracks[track].lastTick, to: &tracks[track].body)
        tracks[track].body += message.message.bytes
        tracks[track].lastTick = tick
        tracks[track].messageCount += 1
    }

    /// Appends several messages to one track, in order.
    public mutating func append(contentsOf messages: some Sequence<TimedMIDIMessage>, toTrack track: Int) {
        for message in messages {
            append(message, toTrack: track)
        }
    }

    /// The complete file as it stands. With `endFrame`, every track's end-of-track sits at that frame (or at its
    /// last message, if later), so the file's length matches the recording's.
    public func encoded(endFrame: FrameTime? = nil) -> [UInt8] {
        let lastTick = tracks.map(\.lastTick).max() ?? 0
        let endTick = max(endFrame.map { StandardMIDIFile.tick(forFrame: $0, sampleRate: sampleRate) } ?? 0, lastTick)
        var file: [UInt8] = Array("MThd".utf8)
        Self.appendUInt32(6, to: &file)
        Self.appendUInt16(1, to: &file)
        Self.appendUInt16(UInt16(tracks.count + 1), to: &file)
        Self.appendUInt16(StandardMIDIFile.ticksPerQuarterNote, to: &file)

        let tempo = StandardMIDIFile.microsecondsPerQuarterNote
        var tempoTrack: [UInt8] = [
            0x00, 0xFF, 0x58, 0x04, 0x04, 0x02, 0x18, 0x08,  // 4/4, 24 clocks per click, 8 32nds per quarter
            0x00, 0xFF, 0x51, 0x03, UInt8(tempo >> 16 & 0xFF), UInt8(tempo >> 8 & 0xFF), UInt8(tempo & 0xFF),
        ]
        Self.appendEndOfTrack(delta: endTick, to: &tempoTrack)
        Self.appendChunk(body: tempoTrack, to: &file)

        for track in tracks {
            var body = track.body
            Self.appendEndOfTrack(delta: endTick - track.lastTick, to: &body)
            Self.appendChunk(body: body, to: &file)
        }
        return file
    }

    // MARK: - Encoding helpers

    /// Writes a delta time; deltas beyond 28 bits (38 hours of silence) are bridged with empty text events.
    private static func appendDelta(_ delta: UInt64, to bytes: inout [UInt8]) {
        var remaining = delta
        let maximum = UInt64(VariableLengthQuantity.maximum)
        while remaining > maximum {
            VariableLengthQuantity.append(VariableLengthQuantity.maximum, to: &bytes)
            bytes += [0xFF, 0x01, 0x00]
            remaining -= maximum
        }
        VariableLengthQuantity.append(UInt32(remaining), to: &bytes)
    }

    private static func appendEndOfTrack(delta: UInt64, to bytes: inout [UInt8]) {
        appendDelta(delta, to: &bytes)
        bytes += [0xFF, 0x2F, 0x00]
    }

    private static func appendChunk(body: [UInt8], to file: inout [UInt8]) {
        file += Array("MTrk".utf8)
        appendUInt32(UInt32(truncatingIfNeeded: body.count), to: &file)
        file += body
    }

    private static func appendUInt16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
    }

    private static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
