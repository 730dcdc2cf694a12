/// The musical controls of oracle navigation (spec §4). Values are kept in range: setting one outside it clamps
/// it, and NaN restores the default.
public struct NavigationParameters: Sendable, Equatable {
    /// Largest taboo window the navigator remembers.
    public static let maximumTabooWindow = 256

    /// Probability (0...1) of taking the forward transition `i → i + 1` rather than a jump at each step.
    public var continuity: Double {
        didSet { continuity = Self.clamped(continuity, to: 0...1, default: 0.8) }
    }

    /// Minimum context a jump must share with the current state: the smallest LRS along the suffix-link path
    /// from the current state to the candidate (at least 1; the root shares nothing).
    public var minimumContext: Int {
        didSet { minimumContext = max(1, minimumContext) }
    }

    /// Number of recently visited states (0...`maximumTabooWindow`) that may not be chosen again.
    public var tabooWindow: Int {
        didSet { tabooWindow = min(max(0, tabooWindow), Self.maximumTabooWindow) }
    }

    /// Sampling temperature (> 0): candidate weights are reshaped to `w^(1/T)`; small values approach the best
    /// candidate, 1 samples in proportion to the weights, large values approach a uniform choice.
    public var temperature: Double {
        didSet { temperature = Self.clamped(temperature, to: 1e-3...1e3, default: 1) }
    }

    /// Minimum quality (0...1) the score function must give a candidate; below it the candidate is never chosen,
    /// and when nothing reaches it the navigator chooses nothing.
    public var qualityThreshold: Double {
        didSet { qualityThreshold = Self.clamped(qualityThreshold, to: 0...1, default: 0.01) }
    }

    /// Parameters with the given values, clamped into their ranges.
    public init(
        continuity: Double = 0.8,
        minimumContext: Int = 1,
        tabooWindow: Int = 8,
        temperature: Double = 1,
        qualityThreshold: Double = 0.01
    ) {
        self.continuity = Self.clamped(continuity, to: 0...1, default: 0.8)
        self.minimumContext = max(1, minimumContext)
        self.tabooWindow = min(max(0, tabooWindow), Self.maximumTabooWindow)
        self.temperature = Self.clamped(temperature, to: 1e-3...1e3, default: 1)
        self.qualityThreshold = Self.clamped(qualityThreshold, to: 0...1, default: 0.01)
    }

    private static func clamped(_ value: Double, to range: ClosedRange<Double>, default fallback: Double) -> Double {
        if value.isNaN { return fallback }
        return min(max(value, range.lowerBound), range.upperBound)
    }
}
