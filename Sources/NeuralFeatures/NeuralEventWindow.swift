/// Which audio of a musical event the encoder hears, the same in training and live.
///
/// The chunk is the event from its onset, at most `maximumSeconds` long (a held note's first second says what it
/// is; longer chunks cost time the live path does not have), zero-padded at the end to `minimumChunkSeconds` so
/// the convolutional stack has enough samples for a few frames. The embedding is the mean of the chosen layer's
/// frames whose centres lie inside the event's (unpadded) part of the chunk.
public struct NeuralEventWindow: Sendable, Equatable {
    /// Longest stretch of an event that is encoded, seconds.
    public var maximumSeconds: Double
    /// Shortest chunk the encoder is given, seconds (short events are zero-padded).
    public var minimumChunkSeconds: Double

    /// Creates a window rule; the defaults suit onset-anchored events of 50 ms to a few seconds.
    public init(maximumSeconds: Double = 1.0, minimumChunkSeconds: Double = 0.1) {
        self.maximumSeconds = maximumSeconds
        self.minimumChunkSeconds = minimumChunkSeconds
    }

    /// Whether the numbers make a usable rule.
    public var isValid: Bool {
        maximumSeconds.isFinite && minimumChunkSeconds.isFinite && maximumSeconds >= 0.02
            && minimumChunkSeconds >= 0.03 && maximumSeconds <= 30 && minimumChunkSeconds <= 30
    }

    /// Number of samples of an event of `durationFrames` at `rate` that are encoded (at least one).
    public func eventFrames(durationFrames: Int, rate: Double) -> Int {
        max(1, min(durationFrames, Int((maximumSeconds * rate).rounded())))
    }

    /// The samples to encode: `eventSamples` (already cut to `eventFrames`) zero-padded to the minimum length.
    public func chunk(_ eventSamples: [Float], rate: Double) -> [Float] {
        let minimum = Int((minimumChunkSeconds * rate).rounded(.up))
        guard eventSamples.count < minimum else { return eventSamples }
        return eventSamples + [Float](repeating: 0, count: minimum - eventSamples.count)
    }

    /// The encoder frames pooled for an event whose audio is the first `eventSamples` of its chunk.
    public func pooledFrames(eventSamples: Int, frameCount: Int, grid: EncoderFrameGrid) -> Range<Int> {
        grid.frames(startSample: 0, endSample: Double(max(1, eventSamples)), frameCount: frameCount)
    }
}
