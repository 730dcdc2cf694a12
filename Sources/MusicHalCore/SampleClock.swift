/// A position on the audio sample clock: the frame count at the input's sample rate since the stream began.
///
/// Every block, event, note and MIDI message carries frame times; wall time exists only at the edges.
public typealias FrameTime = UInt64

/// Converts between frames and seconds at one sample rate.
public struct SampleClock: Sendable, Hashable {
    /// Frames per second of the stream this clock counts.
    public let sampleRate: Double

    /// Creates a clock; `sampleRate` must be positive and finite.
    public init(sampleRate: Double) {
        precondition(sampleRate.isFinite && sampleRate > 0, "sample rate must be positive")
        self.sampleRate = sampleRate
    }

    /// The duration of `frames` frames in seconds.
    public func seconds(_ frames: FrameTime) -> Double { Double(frames) / sampleRate }

    /// The duration of a signed frame distance in seconds.
    public func seconds(signed frames: Int64) -> Double { Double(frames) / sampleRate }

    /// The number of whole frames nearest to `seconds` (negative durations give zero).
    public func frames(_ seconds: Double) -> FrameTime {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return FrameTime((seconds * sampleRate).rounded())
    }
}
