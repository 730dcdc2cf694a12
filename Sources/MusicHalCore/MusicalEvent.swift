/// One onset-anchored musical event: what the listener heard between an onset and its end.
///
/// The same type describes events detected in a training file and events heard live, so the two paths match
/// by construction.
public struct MusicalEvent: Sendable, Hashable {
    /// Frame of the onset on the stream's sample clock.
    public var onsetFrame: FrameTime
    /// Frame where the event ended: the next onset, the level falling below the gate, or the maximum length.
    public var offsetFrame: FrameTime
    /// Fractional MIDI pitch of the event's fundamental (69 = A4 at 440 Hz), or nil when unpitched.
    public var midiPitch: Double?
    /// Fundamental frequency in hertz, or nil when unpitched.
    public var f0Hz: Double?
    /// Confidence of the pitch estimate in [0, 1].
    public var pitchConfidence: Double
    /// Sounding notes for chordal material (MIDI numbers, lowest first); the fundamental alone when monophonic.
    public var pitches: [Int]
    /// MIDI velocity (1...127) derived from the event's loudness.
    public var velocity: UInt8
    /// Peak RMS level of the event in dBFS.
    public var levelDB: Double
    /// Frames from the previous onset to this one (0 for the first event).
    public var interOnsetFrames: FrameTime
    /// Spectral centroid in hertz.
    public var centroidHz: Double
    /// Perceptual feature vector used by the oracle.
    public var features: FeatureVector

    /// Creates an event.
    public init(
        onsetFrame: FrameTime,
        offsetFrame: FrameTime,
        midiPitch: Double?,
        f0Hz: Double?,
        pitchConfidence: Double,
        pitches: [Int],
        velocity: UInt8,
        levelDB: Double,
        interOnsetFrames: FrameTime,
        centroidHz: Double,
        features: FeatureVector
    ) {
        self.onsetFrame = onsetFrame
        self.offsetFrame = offsetFrame
        self.midiPitch = midiPitch
        self.f0Hz = f0Hz
        self.pitchConfidence = pitchConfidence
        self.pitches = pitches
        self.velocity = velocity
        self.levelDB = levelDB
        self.interOnsetFrames = interOnsetFrames
        self.centroidHz = centroidHz
        self.features = features
    }

    /// Length of the event in frames.
    public var durationFrames: FrameTime { offsetFrame >= onsetFrame ? offsetFrame - onsetFrame : 0 }

    /// Nearest MIDI note number, or nil when unpitched.
    public var midiNote: Int? { midiPitch.map { Int($0.rounded()) } }

    /// Deviation of the pitch from `midiNote` in cents (-50...50), or 0 when unpitched.
    public var cents: Double {
        guard let pitch = midiPitch else { return 0 }
        return (pitch - pitch.rounded()) * 100
    }
}
