public import MusicHalCore

/// How a MIDI file's ticks relate to time.
public enum MIDITimeDivision: Sendable, Hashable {
    /// Metrical time: ticks per quarter note, converted to seconds through the tempo map.
    case ticksPerQuarterNote(Int)
    /// SMPTE time: ticks per video frame at a fixed frame rate (29 means 29.97 drop-frame); tempo is ignored.
    case smpte(framesPerSecond: Int, ticksPerFrame: Int)
}

/// A tempo change read from a file, with the time at which it takes effect.
public struct MIDITempoChange: Sendable, Hashable {
    /// Tick at which the tempo starts.
    public var tick: UInt64
    /// Microseconds per quarter note.
    public var microsecondsPerQuarterNote: UInt32
    /// Seconds from the start of the file to `tick`.
    public var seconds: Double

    /// Creates a tempo change.
    public init(tick: UInt64, microsecondsPerQuarterNote: UInt32, seconds: Double) {
        self.tick = tick
        self.microsecondsPerQuarterNote = microsecondsPerQuarterNote
        self.seconds = seconds
    }
}

/// One channel message read from a file.
public struct ParsedMIDIEvent: Sendable, Hashable {
    /// Index of the track it came from (0 is the first track in the file, usually the tempo track in format 1).
    public var track: Int
    /// Absolute tick.
    public var tick: UInt64
    /// Seconds from the start of the file, following the tempo map.
    public var seconds: Double
    /// The message; a Note On with velocity 0 is read as a Note Off with release velocity 64.
    public var message: MIDIMessage

    /// Creates an event.
    public init(track: Int, tick: UInt64, seconds: Double, message: MIDIMessage) {
        self.track = track
        self.tick = tick
        self.seconds = seconds
        self.message = message
    }

    /// The nearest frame at `sampleRate`.
    public func frame(sampleRate: Double) -> FrameTime {
        let frames = (seconds * sampleRate).rounded()
        guard frames.isFinite, frames > 0 else { return 0 }
        return frames < 0x1p64 ? FrameTime(frames) : .max
    }
}

/// One track read from a file.
public struct ParsedMIDITrack: Sendable, Hashable {
    /// The first track name meta event (`FF 03`), if any.
    public var name: String?
    /// Channel messages in file order.
    public var events: [ParsedMIDIEvent]
    /// Channel messages that have no `MIDIMessage` form (Polyphonic Key Pressure) and were skipped.
    public var skippedMessageCount: Int
    /// Tick of the end-of-track event, or of the last event when the track has none.
    public var endTick: UInt64

    /// Creates a track.
    public init(name: String?, events: [ParsedMIDIEvent], skippedMessageCount: Int, endTick: UInt64) {
        self.name = name
        self.events = events
        self.skippedMessageCount = skippedMessageCount
        self.endTick = endTick
    }
}

extension ParsedMIDITrack {
    /// The track's messages stamped with frames at `sampleRate` (port 0), e.g. to replay a file as input.
    public func timedMessages(sampleRate: Double) -> [TimedMIDIMessage] {
        events.map { TimedMIDIMessage(frame: $0.frame(sampleRate: sampleRate), message: $0.message) }
    }
}

/// The content of a Standard MIDI File as `StandardMIDIFile.parse(_:)` reads it.
public struct ParsedMIDIFile: Sendable, Hashable {
    /// The header's format: 0 (one track) or 1 (simultaneous tracks).
    public var format: Int
    /// The header's time division.
    public var timeDivision: MIDITimeDivision
    /// Every `MTrk` chunk in file order.
    public var tracks: [ParsedMIDITrack]
    /// The tempo map, collected from all tracks and ordered by tick (starts at 120 bpm before the first change).
    public var tempoChanges: [MIDITempoChange]

    /// Creates a parsed file.
    public init(format: Int, timeDivision: MIDITimeDivision, tracks: [ParsedMIDITrack], tempoChanges: [MIDITempoChange])
    {
        self.format = format
        self.timeDivision = timeDivision
        self.tracks = tracks
        self.tempoChanges = tempoChanges
    }

    /// The first track with this name.
    public func track(named name: String) -> ParsedMIDITrack? {
        tracks.first { $0.name == name }
    }

    /// Every event of every track, by tick; equal ticks keep track order, then file order.
    public var allEvents: [ParsedMIDIEvent] {
        let indexed = tracks.flatMap { track in track.events.enumerated().map { ($0.offset, $0.element) } }
        return indexed.sorted { ($0.1.tick, $0.1.track, $0.0) < ($1.1.tick, $1.1.track, $1.0) }.map(\.1)
    }

    /// Seconds from the start of the file to `tick`, following the tempo map or the SMPTE rate.
    public func seconds(atTick tick: UInt64) -> Double {
        Self.seconds(atTick: tick, division: timeDivision, tempoChanges: tempoChanges)
    }

    static func seconds(atTick tick: UInt64, division: MIDITimeDivision, tempoChanges: [MIDITempoChange]) -> Double {
        switch division {
        case .smpte(let framesPerSecond, let ticksPerFrame):
            let rate = framesPerSecond == 29 ? 30_000.0 / 1001.0 : Double(framesPerSecond)
            return Double(tick) / (rate * Double(ticksPerFrame))
        case .ticksPerQuarterNote(let ticksPerQuarter):
            // The last change at or before `tick` governs it (binary search: the map may be long).
            var low = 0
            var high = tempoChanges.count
            while low < high {
                let middle = (low + high) / 2
                if tempoChanges[middle].tick <= tick { low = middle + 1 } else { high = middle }
            }
            let startTick = low > 0 ? tempoChanges[low - 1].tick : 0
            let startSeconds = low > 0 ? tempoChanges[low - 1].seconds : 0
            let tempo = low > 0 ? tempoChanges[low - 1].microsecondsPerQuarterNote : 500_000
            return startSeconds + Double(tick - startTick) * Double(tempo) / 1_000_000 / Double(ticksPerQuarter)
        }
    }
}
