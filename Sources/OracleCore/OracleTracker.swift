/// How the tracker found the state matching the latest input.
public enum TrackingMove: Sendable, Equatable {
    /// A forward transition of the previous state matched.
    case forward
    /// No forward transition matched but the previous state itself did (a held or repeated sound).
    case hold
    /// A forward transition of a state `depth` suffix links above the previous state matched.
    case suffix(depth: Int)
    /// The tracker was lost (or just started) and re-entered at the best matching state of the nearest labels.
    case reentry
    /// Nothing in the oracle matches the input within the threshold.
    case lost
    /// The input was unusable (wrong length, NaN or infinite values) and was ignored; the state is unchanged.
    case ignored
}

/// The tracker's answer for one input.
public struct TrackingResult: Sendable, Equatable {
    /// The oracle state matching the input, or nil when lost.
    public var state: Int?
    /// How the state was found.
    public var move: TrackingMove
    /// Distance from the input frame to the frame of `state` (VMO only).
    public var distance: Double?

    /// A result with the given fields.
    public init(state: Int?, move: TrackingMove, distance: Double? = nil) {
        self.state = state
        self.move = move
        self.distance = distance
    }
}

/// Follows a live stream of inputs through an oracle so the generator knows "where" the musician is.
///
/// Each input is looked for among the forward transitions of the current state, then among those of the states on
/// its suffix-link path; when that fails the tracker re-enters through the label representatives. The common case
/// costs a handful of distance computations, not a scan of the oracle.
public struct OracleTracker: Sendable, Equatable {
    /// Most suffix links followed before giving up and re-entering.
    public static let maximumSuffixDepth = 16
    /// Number of nearest labels whose states are searched on re-entry.
    public static let reentryLabelCount = 3

    /// The state matching the latest input, or nil when lost or not started.
    public private(set) var currentState: Int?

    /// A tracker that has not seen any input.
    public init() {}

    /// Forgets the current position.
    public mutating func reset() {
        currentState = nil
    }

    /// Follows one feature frame through `oracle`.
    public mutating func observe(_ frame: [Double], in oracle: VariableMarkovOracle) -> TrackingResult {
        guard frame.count == oracle.dimension, frame.allSatisfy(\.isFinite) else {
            return TrackingResult(state: currentState, move: .ignored, distance: nil)
        }
        if let current = currentState, current >= oracle.stateCount {
            currentState = nil  // a different or rebuilt oracle
        }
        let result = oracle.withQuery(frame) { query in
            Self.locate(query: query, from: currentState, in: oracle)
        }
        currentState = result.state
        return result
    }

    /// Follows one single-precision feature frame (converted exactly to Double) through `oracle`.
    public mutating func observe(_ frame: [Float], in oracle: VariableMarkovOracle) -> TrackingResult {
        observe(frame.map(Double.init), in: oracle)
    }

    /// Follows one symbol through a Factor Oracle: the state reached by the longest recent context that the oracle
    /// knows, the classic factor-recognition walk.
    public mutating func observe(symbol: Int, in oracle: FactorOracle) -> TrackingResult {
        if let current = currentState, current >= oracle.stateCount {
            currentState = nil
        }
        var result = TrackingResult(state: nil, move: .lost, distance: nil)
        if let current = currentState {
            var walker = current
            var depth = 0
            while walker > 0 && depth <= Self.maximumSuffixDepth {
                if let target = oracle.target(from: walker, symbol: symbol) {
                    result = TrackingResult(state: target, move: depth == 0 ? .forward : .suffix(depth: depth))
                    break
                }
                walker = oracle.suffixLink(of: walker)
                depth += 1
            }
        }
        if result.state == nil, let first = oracle.firstState(of: symbol) {
            result = TrackingResult(state: first, move: .reentry)
        }
        currentState = result.state
        return result
    }

    /// The matching state for a frame query, starting from `current`.
    private static func locate(
        query: FrameQuery, from current: Int?, in oracle: VariableMarkovOracle
    ) -> TrackingResult {
        if let current, current > 0 {
            if let match = query.nearestState(among: oracle.transitions(from: current)) {
                return TrackingResult(state: match.state, move: .forward, distance: match.distance)
            }
            let distance = query.distance(to: current)
            if distance < query.threshold {
                return TrackingResult(state: current, move: .hold, distance: distance)
            }
            var walker = oracle.suffixLink(of: current)
            var depth = 1
            while walker > 0 && depth <= maximumSuffixDepth {
                if let match = query.nearestState(among: oracle.transitions(from: walker)) {
                    return TrackingResult(state: match.state, move: .suffix(depth: depth), distance: match.distance)
                }
                walker = oracle.suffixLink(of: walker)
                depth += 1
            }
        }
        return reenter(query: query, in: oracle)
    }

    /// Re-entry: the labels whose representatives are nearest, then the nearest state carrying one of them.
    private static func reenter(query: FrameQuery, in oracle: VariableMarkovOracle) -> TrackingResult {
        let nearestLabels = query.nearestRepresentatives(count: reentryLabelCount)
        var best: (state: Int, distance: Double)?
        for label in nearestLabels {
            if let match = query.nearestState(among: oracle.states(ofLabel: label)),
                match.distance < (best?.distance ?? .infinity)
            {
                best = match
            }
        }
        guard let best else { return TrackingResult(state: nil, move: .lost, distance: nil) }
        return TrackingResult(state: best.state, move: .reentry, distance: best.distance)
    }
}
