/// A musical event's time span, in seconds from the first sample given to the encoder.
public struct EventWindow: Sendable, Equatable {
    /// Onset, seconds.
    public var onset: Double
    /// Offset (end), seconds; greater than the onset.
    public var offset: Double

    /// Creates a window.
    public init(onset: Double, offset: Double) {
        self.onset = onset
        self.offset = offset
    }
}

/// Where encoder frames sit on the input's sample clock.
///
/// The convolutional stack maps input samples to frames with hop `h` = the product of the strides (320) and
/// receptive field `r` (400 for kernels 10,3,3,3,3,2,2 and strides 5,2,2,2,2,2,2): frame `t` sees samples
/// `[h·t, h·t + r)`, centred on sample `h·t + r/2`. At 16 kHz that is 20 ms per frame, a 25 ms field.
///
/// An event window `[onset, offset)` (seconds, at the model's rate) covers the frames whose **centre** lies in
/// `[onset·rate, offset·rate)`. A window too short to contain any centre (shorter than one hop) takes the single
/// frame whose centre is nearest to the window's midpoint. Frames are clipped to those the input produced.
public struct EncoderFrameGrid: Sendable, Equatable {
    /// Samples between frames.
    public var hop: Int
    /// Samples one frame sees.
    public var receptiveField: Int
    /// The model's sample rate, hertz.
    public var sampleRate: Int

    /// The grid of a configuration at `sampleRate`.
    public init(configuration: Wav2Vec2Configuration, sampleRate: Int) {
        hop = configuration.frameHop
        receptiveField = configuration.receptiveField
        self.sampleRate = sampleRate
    }

    /// Creates a grid from its numbers.
    public init(hop: Int, receptiveField: Int, sampleRate: Int) {
        self.hop = hop
        self.receptiveField = receptiveField
        self.sampleRate = sampleRate
    }

    /// The sample on which frame `t` is centred (in half samples rounded down: `h·t + r/2`).
    public func centreSample(ofFrame t: Int) -> Double { Double(hop * t) + Double(receptiveField) / 2 }

    /// The frames whose centres fall in samples `[start, end)`, or the one nearest the midpoint; clipped to
    /// `0..<frameCount`. Never empty when `frameCount > 0`.
    public func frames(startSample start: Double, endSample end: Double, frameCount: Int) -> Range<Int> {
        guard frameCount > 0 else { return 0..<0 }
        let half = Double(receptiveField) / 2
        let h = Double(hop)
        // Smallest t with h·t + half ≥ start, and smallest t with h·t + half ≥ end (exclusive bound).
        let first = max(0, Int(((start - half) / h).rounded(.up)))
        let last = min(frameCount, Int(((end - half) / h).rounded(.up)))
        if first < last { return first..<last }
        let middle = (start + end) / 2
        let nearest = min(frameCount - 1, max(0, Int(((middle - half) / h).rounded())))
        return nearest..<(nearest + 1)
    }

    /// The frames of `window` (see the type's description).
    public func frames(for window: EventWindow, frameCount: Int) throws -> Range<Int> {
        guard window.onset.isFinite, window.offset.isFinite, window.offset > window.onset else {
            throw NeuralFeaturesError.invalidArgument(
                "event window [\(window.onset), \(window.offset)) s is empty or not finite")
        }
        let rate = Double(sampleRate)
        return frames(startSample: window.onset * rate, endSample: window.offset * rate, frameCount: frameCount)
    }
}

/// Mean pooling of row-major `[frames, width]` activations.
public enum FramePooling: Sendable {
    /// The unweighted mean of rows `frames` (accumulated in Double), `[width]`.
    public static func mean(_ states: [Float], frameCount: Int, width: Int, frames: Range<Int>) -> [Float] {
        states.withUnsafeBufferPointer { mean($0, frameCount: frameCount, width: width, frames: frames) }
    }

    /// See `mean(_:frameCount:width:frames:)`.
    public static func mean(
        _ states: UnsafeBufferPointer<Float>, frameCount: Int, width: Int, frames: Range<Int>
    ) -> [Float] {
        let rows = frames.clamped(to: 0..<frameCount)
        precondition(states.count >= frameCount * width, "activations shorter than frameCount × width")
        guard !rows.isEmpty else { return [Float](repeating: 0, count: width) }
        var sums = [Double](repeating: 0, count: width)
        for t in rows {
            let row = t * width
            for c in 0..<width { sums[c] += Double(states[row + c]) }
        }
        let scale = 1 / Double(rows.count)
        return sums.map { Float($0 * scale) }
    }
}
