/// Which of the agent's voices plays a note.
public enum Voice: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The upper, melodic voice.
    case melody = 0
    /// The lower voice.
    case bass = 1

    /// The voice's name as used in configuration and OSC.
    public var description: String { self == .melody ? "melody" : "bass" }
}

/// A note the agent decided to play, placed on the sample clock.
public struct Note: Sendable, Hashable {
    /// MIDI note number (0...127).
    public var pitch: UInt8
    /// Deviation from the equal-tempered pitch in cents, used by MPE per-note pitch bend.
    public var cents: Double
    /// Note-on velocity (1...127).
    public var velocity: UInt8
    /// Frame at which the note starts.
    public var startFrame: FrameTime
    /// Length in frames (at least one).
    public var durationFrames: FrameTime
    /// The voice that plays it.
    public var voice: Voice

    /// Creates a note; velocity is kept in 1...127 and duration at least one frame.
    public init(
        pitch: UInt8, cents: Double = 0, velocity: UInt8, startFrame: FrameTime, durationFrames: FrameTime,
        voice: Voice = .melody
    ) {
        self.pitch = min(pitch, 127)
        self.cents = cents
        self.velocity = max(1, min(velocity, 127))
        self.startFrame = startFrame
        self.durationFrames = max(1, durationFrames)
        self.voice = voice
    }

    /// Frame at which the note ends.
    public var endFrame: FrameTime { startFrame + durationFrames }
}
