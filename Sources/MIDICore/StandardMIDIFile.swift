public import MusicHalCore

/// A Standard MIDI File made from sample-clock messages: format 1, a tempo track plus one named track per source
/// (e.g. "MusicHal answer", "Input").
///
/// Time is fixed at 960 ticks per quarter note and 120 bpm, i.e. 1920 ticks per second, so a message at `frame`
/// lands on tick `round(frame / sampleRate × 1920)` (about half a millisecond resolution) and any sequencer shows
/// seconds directly.
public struct StandardMIDIFile: Sendable, Hashable {
    /// One named track of timed messages.
    public struct Track: Sendable, Hashable {
        /// The track name (meta event `FF 03`).
        public var name: String
        /// The messages; `encoded()` writes them in frame order, keeping the order of equal frames.
        public var messages: [TimedMIDIMessage]

        /// Creates a track.
        public init(name: String, messages: [TimedMIDIMessage] = []) {
            self.name = name
            self.messages = messages
        }
    }

    /// Ticks per quarter note written in the header.
    public static let ticksPerQuarterNote: UInt16 = 960
    /// The tempo written in the tempo track: 500,000 µs per quarter note, 120 bpm.
    public static let microsecondsPerQuarterNote: UInt32 = 500_000
    /// Ticks per second at the written tempo and resolution.
    public static let ticksPerSecond: Double = 1920

    /// Sample rate of the frames the messages are stamped with.
    public let sampleRate: Double
    /// The tracks after the tempo track.
    public var tracks: [Track]

    /// Creates a file model; `sampleRate` must be positive and finite.
    public init(sampleRate: Double, tracks: [Track] = []) throws(MIDICoreError) {
        guard sampleRate.isFinite && sampleRate > 0 else { throw .invalidSampleRate(sampleRate) }
        self.sampleRate = sampleRate
        self.tracks = tracks
    }

    /// The tick a frame lands on: `round(frame / sampleRate × 1920)`.
    public static func tick(forFrame frame: FrameTime, sampleRate: Double) -> UInt64 {
        let ticks = (Double(frame) / sampleRate * ticksPerSecond).rounded()
        guard ticks.isFinite, ticks > 0 else { return 0 }
        return ticks < 0x1p64 ? UInt64(ticks) : .max
    }

    /// The complete file: header, tempo track, then each track with its name, messages and end-of-track.
    public func encoded() -> [UInt8] {
        // The model was validated in init, so the recorder cannot refuse it.
        guard var recorder = try? StandardMIDIFileRecorder(sampleRate: sampleRate, trackNames: tracks.map(\.name))
        else { return [] }
        for (index, track) in tracks.enumerated() {
            let ordered = track.messages.indices.sorted {
                (track.messages[$0].frame, $0) < (track.messages[$1].frame, $1)
            }
            for position in ordered {
                recorder.append(track.messages[position], toTrack: index)
            }
        }
        return recorder.encoded()
    }
}
