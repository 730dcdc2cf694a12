public import MusicHalCore

/// What the streaming listener reports.
public enum ListenerOutput: Sendable, Hashable {
    /// An onset was detected at `frame` (reported about one hop after it happened), with the level in dBFS.
    case onset(frame: FrameTime, levelDB: Double)
    /// An event ended and is complete: pitch, duration, features.
    case event(MusicalEvent)
}
