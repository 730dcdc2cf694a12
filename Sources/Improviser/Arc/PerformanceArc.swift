public import MusicHalCore

/// Where a performance is in its arc.
public enum ArcPhase: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The first 15%: activity and loudness grow.
    case buildUp = "build-up"
    /// The body of the piece, at full activity.
    case main
    /// From 80%: winding down.
    case ending
    /// The last 5%: the final fade to silence.
    case fade
    /// After the end: silence.
    case ended

    /// The phase's name for the status stream.
    public var description: String { rawValue }
}

/// The arc's values at one moment.
public struct ArcState: Sendable, Hashable {
    /// Elapsed share of the performance, 0...1.
    public var progress: Double
    /// The phase.
    public var phase: ArcPhase
    /// Multiplier for how much the agent plays (density, initiative), 0...1.
    public var activity: Double
    /// Multiplier for velocities, 0...1.
    public var velocityScale: Double

    /// Creates a state.
    public init(progress: Double, phase: ArcPhase, activity: Double, velocityScale: Double) {
        self.progress = progress
        self.phase = phase
        self.activity = activity
        self.velocityScale = velocityScale
    }
}

/// A loudness contour learned from a recording (e.g. its RMS level in dB over time), normalized to 0...1 and
/// smoothed, read at any point of normalized time.
public struct LoudnessContour: Sendable, Hashable {
    /// The normalized, smoothed levels at evenly spaced points from the start (0) to the end (1).
    public let levels: [Double]

    /// Builds a contour from levels in dB spaced evenly over the recording.
    ///
    /// Normalization: the loudest level maps to 1 and anything `dynamicRange` dB or more below it to 0 (so
    /// `-infinity` for digital silence is fine), linearly in dB, which is roughly linear in perceived loudness.
    /// Smoothing: a centred moving average over `smoothing` of the whole length (5% by default), so the arc
    /// follows the recording's sections rather than its single notes.
    public init(levelsDB: [Double], dynamicRange: Double = 40, smoothing: Double = 0.05) throws(MusicianshipError) {
        guard !levelsDB.isEmpty else { throw .badContour("it has no levels") }
        guard !levelsDB.contains(where: \.isNaN) else { throw .badContour("it contains NaN levels") }
        guard dynamicRange.isFinite, dynamicRange > 0 else {
            throw .badContour("the dynamic range must be a positive number of dB, got \(dynamicRange)")
        }
        guard smoothing.isFinite, smoothing >= 0, smoothing <= 1 else {
            throw .badContour("the smoothing must lie in 0...1, got \(smoothing)")
        }
        guard let peak = levelsDB.filter(\.isFinite).max() else {
            throw .badContour("the recording is silent (no finite level)")
        }
        let floor = peak - dynamicRange
        let normalized = levelsDB.map { level in
            level == .infinity ? 1 : min(1, max(0, (level - floor) / dynamicRange))
        }
        let radius = Int((smoothing * Double(normalized.count) / 2).rounded())
        guard radius > 0 else {
            levels = normalized
            return
        }
        levels = normalized.indices.map { index in
            let window = max(0, index - radius)...min(normalized.count - 1, index + radius)
            return normalized[window].reduce(0, +) / Double(window.count)
        }
    }

    /// The level at normalized time `progress` (clamped to 0...1), linearly interpolated between points.
    public func value(at progress: Double) -> Double {
        guard levels.count > 1 else { return levels[0] }
        let position = min(1, max(0, progress)) * Double(levels.count - 1)
        let index = min(Int(position), levels.count - 2)
        let fraction = position - Double(index)
        return levels[index] + (levels[index + 1] - levels[index]) * fraction
    }
}

/// The shape of a whole performance over its duration: how active and how loud the agent is at each moment.
///
/// Default shape (progress p from 0 to 1), every join a smoothstep (3x² − 2x³) so neither value nor slope jumps:
/// - build-up, p < 0.15: activity 0.25 → 1, velocity scale 0.7 → 1 (start sparse, leave room);
/// - main, 0.15 ≤ p < 0.8: both 1;
/// - ending, 0.8 ≤ p < 0.95: activity 1 → 0.45, velocity scale 1 → 0.8;
/// - fade, 0.95 ≤ p < 1: both → 0;
/// - ended, p ≥ 1: both 0 (silence).
///
/// With a learned contour c(p) and weight w: activity = (1 − w)·default + w·c(p)·f(p) and velocity scale =
/// (1 − w)·default + w·(0.6 + 0.4·c(p))·f(p), where f is the final fade (1 before 0.95, → 0 at the end), so a
/// learned arc still ends in silence.
///
/// Evaluating is a few arithmetic operations and allocates nothing, so it may run on every block.
public struct PerformanceArc: Sendable, Hashable {
    /// Frame at which the performance starts.
    public let startFrame: FrameTime
    /// Length of the performance in frames.
    public let durationFrames: FrameTime
    /// The learned loudness contour, if any.
    public let contour: LoudnessContour?
    /// How much the learned contour counts against the default shape, 0...1.
    public let contourWeight: Double

    /// End of the build-up, as progress.
    public static let buildUpEnd = 0.15
    /// Start of the ending, as progress.
    public static let endingStart = 0.8
    /// Start of the final fade, as progress.
    public static let fadeStart = 0.95

    /// Creates an arc from `startFrame` lasting `durationFrames` (more than zero), optionally following a learned
    /// contour with `contourWeight` in 0...1.
    public init(
        startFrame: FrameTime, durationFrames: FrameTime, contour: LoudnessContour? = nil, contourWeight: Double = 0.5
    ) throws(MusicianshipError) {
        guard durationFrames > 0 else { throw .badArcDuration(frames: durationFrames) }
        guard contourWeight.isFinite, (0...1).contains(contourWeight) else {
            throw .badContour("its weight must lie in 0...1, got \(contourWeight)")
        }
        self.startFrame = startFrame
        self.durationFrames = durationFrames
        self.contour = contour
        self.contourWeight = contour == nil ? 0 : contourWeight
    }

    /// Creates an arc of `minutes` (as given to `--performance-duration` or `/hal/arc/start`) on a clock of
    /// `sampleRate`.
    public init(
        startFrame: FrameTime, minutes: Double, sampleRate: Double, contour: LoudnessContour? = nil,
        contourWeight: Double = 0.5
    ) throws(MusicianshipError) {
        let seconds = minutes * 60
        let frames = seconds.isFinite && seconds > 0 ? FrameTime((seconds * sampleRate).rounded()) : 0
        try self.init(startFrame: startFrame, durationFrames: frames, contour: contour, contourWeight: contourWeight)
    }

    /// Frame at which the performance ends (silence from here).
    public var endFrame: FrameTime { startFrame &+ durationFrames }

    /// Elapsed share of the performance at `frame`: 0 before the start, 1 from the end.
    public func progress(at frame: FrameTime) -> Double {
        guard frame > startFrame else { return 0 }
        return min(1, Double(frame - startFrame) / Double(durationFrames))
    }

    /// The phase at `frame`.
    public func phase(at frame: FrameTime) -> ArcPhase {
        guard frame < endFrame else { return .ended }
        return Self.phase(progress: progress(at: frame))
    }

    /// The activity multiplier at `frame` (0 from the end on).
    public func activity(at frame: FrameTime) -> Double {
        guard frame < endFrame else { return 0 }
        let p = progress(at: frame)
        let shaped = Self.defaultActivity(progress: p)
        guard let contour else { return shaped }
        return (1 - contourWeight) * shaped + contourWeight * contour.value(at: p) * Self.finalFade(p)
    }

    /// The velocity multiplier at `frame` (0 from the end on).
    public func velocityScale(at frame: FrameTime) -> Double {
        guard frame < endFrame else { return 0 }
        let p = progress(at: frame)
        let shaped = Self.defaultVelocityScale(progress: p)
        guard let contour else { return shaped }
        return (1 - contourWeight) * shaped + contourWeight * (0.6 + 0.4 * contour.value(at: p)) * Self.finalFade(p)
    }

    /// Progress, phase, activity and velocity scale at `frame`, for the engine and the status stream.
    public func state(at frame: FrameTime) -> ArcState {
        ArcState(
            progress: progress(at: frame), phase: phase(at: frame), activity: activity(at: frame),
            velocityScale: velocityScale(at: frame))
    }

    // MARK: The default shape

    /// The phase at a progress value (`ended` from 1).
    public static func phase(progress p: Double) -> ArcPhase {
        switch p {
        case ..<buildUpEnd: .buildUp
        case ..<endingStart: .main
        case ..<fadeStart: .ending
        case ..<1: .fade
        default: .ended
        }
    }

    /// Default activity at progress `p`.
    public static func defaultActivity(progress p: Double) -> Double {
        shape(p, start: 0.25, ending: 0.45)
    }

    /// Default velocity scale at progress `p`.
    public static func defaultVelocityScale(progress p: Double) -> Double {
        shape(p, start: 0.7, ending: 0.8)
    }

    /// Rises from `start` to 1 over the build-up, holds 1, falls to `ending` by the fade, then to 0.
    private static func shape(_ p: Double, start: Double, ending: Double) -> Double {
        switch phase(progress: p) {
        case .buildUp: start + (1 - start) * smoothstep(p / buildUpEnd)
        case .main: 1
        case .ending: 1 - (1 - ending) * smoothstep((p - endingStart) / (fadeStart - endingStart))
        case .fade: ending * (1 - smoothstep((p - fadeStart) / (1 - fadeStart)))
        case .ended: 0
        }
    }

    /// 1 until the fade, then smoothly to 0 at the end.
    private static func finalFade(_ p: Double) -> Double {
        p < fadeStart ? 1 : 1 - smoothstep((p - fadeStart) / (1 - fadeStart))
    }

    private static func smoothstep(_ x: Double) -> Double {
        let t = min(1, max(0, x))
        return t * t * (3 - 2 * t)
    }
}
