/// A block of mono audio stamped with the sample clock frame of its first sample.
public struct AudioBlock: Sendable, Equatable {
    /// Frame of `samples[0]` on the stream's sample clock.
    public var startFrame: FrameTime
    /// Sample rate of the stream in hertz.
    public var sampleRate: Double
    /// Mono samples, nominally in [-1, 1].
    public var samples: [Float]

    /// Creates a block.
    public init(startFrame: FrameTime, sampleRate: Double, samples: [Float]) {
        self.startFrame = startFrame
        self.sampleRate = sampleRate
        self.samples = samples
    }

    /// Number of frames in the block.
    public var frameCount: Int { samples.count }

    /// The frame just after the block's last sample.
    public var endFrame: FrameTime { startFrame + FrameTime(samples.count) }
}
