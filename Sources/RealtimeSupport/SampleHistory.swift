public import MusicHalCore

/// The last `capacity` samples of a stream, addressed by their frames on the stream clock, so work that runs
/// after an event completes (the neural encoder) can still take the event's audio.
///
/// Allocates once, at creation. A block that does not continue the stream (a reconnect, an xrun) restarts it.
public struct SampleHistory: Sendable {
    private var storage: [Float]
    /// Frame just after the newest sample kept.
    public private(set) var endFrame: FrameTime = 0
    /// Samples kept (up to `capacity`).
    public private(set) var count = 0

    /// Creates an empty history of `capacity` samples (at least one).
    public init(capacity: Int) {
        storage = [Float](repeating: 0, count: max(1, capacity))
    }

    /// Samples the history can keep.
    public var capacity: Int { storage.count }

    /// Frame of the oldest sample kept.
    public var startFrame: FrameTime { endFrame - FrameTime(count) }

    /// Adds `samples`, which start at `frame`.
    public mutating func append(_ samples: UnsafeBufferPointer<Float>, startingAt frame: FrameTime) {
        if frame != endFrame || count == 0 {
            count = 0
            endFrame = frame
        }
        let capacity = storage.count
        let kept = samples.suffix(capacity)
        storage.withUnsafeMutableBufferPointer { buffer in
            var index = Int((frame + FrameTime(samples.count - kept.count)) % FrameTime(capacity))
            for sample in kept {
                buffer[index] = sample
                index += 1
                if index == capacity { index = 0 }
            }
        }
        endFrame = frame + FrameTime(samples.count)
        count = min(capacity, count + samples.count)
    }

    /// Adds a block's samples.
    public mutating func append(_ block: AudioBlock) {
        block.samples.withUnsafeBufferPointer { append($0, startingAt: block.startFrame) }
    }

    /// The `length` samples from `frame`, if all of them are still kept.
    public func samples(from frame: FrameTime, length: Int) -> [Float]? {
        guard length >= 0, frame >= startFrame, frame + FrameTime(length) <= endFrame else { return nil }
        let capacity = storage.count
        var out = [Float](repeating: 0, count: length)
        var index = Int(frame % FrameTime(capacity))
        for i in 0..<length {
            out[i] = storage[index]
            index += 1
            if index == capacity { index = 0 }
        }
        return out
    }
}
