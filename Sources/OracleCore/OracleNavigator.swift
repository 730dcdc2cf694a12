import MusicHalCore
import RealModule

/// How the navigator reached a state.
public enum NavigationMove: Sendable, Equatable {
    /// The literal continuation: `to` follows `from` in the learned sequence (or wraps from the last state to 1).
    case forward(from: Int, to: Int)
    /// A jump from `from` to `to`, the successor of a state sharing `lrs` inputs of context with `from`.
    case jump(from: Int, to: Int, lrs: Int)
}

/// One navigation step: where the navigator went, how, and how well the destination scored.
public struct NavigationStep: Sendable, Equatable, CustomStringConvertible {
    /// How the state was reached.
    public var move: NavigationMove
    /// The quality (0...1) the score function gave the new state.
    public var quality: Double

    /// The new state.
    public var state: Int {
        switch move {
        case .forward(_, let to), .jump(_, let to, _): return to
        }
    }

    /// The state the step started from.
    public var from: Int {
        switch move {
        case .forward(let from, _), .jump(let from, _, _): return from
        }
    }

    /// Context the jump target shares with the origin (the `lrs` of the jump); 0 for a forward move.
    public var lrs: Int {
        if case .jump(_, _, let lrs) = move { return lrs }
        return 0
    }

    /// True for a jump, false for a forward continuation.
    public var isJump: Bool {
        if case .jump = move { return true }
        return false
    }

    /// A short explanation such as `jump 57 -> 13 (context 4, quality 0.80)`.
    public var description: String {
        let qualityText = "quality \(Double(Int((quality * 100).rounded())) / 100)"
        switch move {
        case .forward(let from, let to):
            return "forward \(from) -> \(to) (\(qualityText))"
        case .jump(let from, let to, let lrs):
            return "jump \(from) -> \(to) (context \(lrs), \(qualityText))"
        }
    }
}

/// Walks an oracle to generate: continues the learned sequence or jumps to a state sharing context, under the
/// controls of `NavigationParameters`, a caller-supplied constraint/quality score, and a taboo memory.
///
/// Every random choice draws from a `SeededRandomGenerator`, so the same seed, oracle, parameters and scores give
/// the same walk.
public struct OracleNavigator: Sendable {
    /// Most suffix-link levels explored around the current state when collecting jump candidates.
    public static let maximumNeighbourhoodDepth = 3
    /// Most jump candidates considered per step.
    public static let maximumCandidates = 64
    /// Most reverse-suffix-link entries examined per step (bounds the cost at popular states).
    private static let maximumExaminedLinks = 512

    private var generator: SeededRandomGenerator
    /// Ring buffer of recently visited states, newest at `(recentStart + recentCount - 1) % capacity`.
    private var recentBuffer: [Int]
    private var recentStart = 0
    private var recentCount = 0

    /// A navigator whose random choices are determined by `seed`, with an empty taboo memory.
    public init(seed: UInt64) {
        generator = SeededRandomGenerator(seed: seed)
        recentBuffer = [Int](repeating: 0, count: NavigationParameters.maximumTabooWindow)
    }

    /// Recently visited states, oldest first.
    public var recentStates: [Int] {
        (0..<recentCount).map { recentBuffer[(recentStart + $0) % recentBuffer.count] }
    }

    /// Forgets the recently visited states.
    public mutating func clearTabooMemory() {
        recentStart = 0
        recentCount = 0
    }

    /// Chooses the next state after `state`.
    ///
    /// With probability `continuity` the forward continuation is taken if it passes the score filter and is not
    /// taboo; otherwise a jump target is sampled among the successors of states in the suffix-link neighbourhood of
    /// `state` (sharing at least `minimumContext` inputs of context), weighted by context length times quality and
    /// reshaped by the temperature. When no jump qualifies the forward continuation is used if it qualifies.
    ///
    /// - Parameters:
    ///   - state: the current state (`0 ..< oracle.stateCount`).
    ///   - score: quality in 0...1 of a candidate state, or nil to reject it (register, token, consonance...).
    /// - Returns: the step taken, or nil when no candidate reaches `qualityThreshold` (better silence than
    ///   something unrelated), when `state` is not a state of `oracle`, or when the oracle has no input yet.
    public mutating func step(
        from state: Int, oracle: some OracleGraph, parameters: NavigationParameters, score: (Int) -> Double?
    ) -> NavigationStep? {
        let stateCount = oracle.stateCount
        guard stateCount >= 2, state >= 0, state < stateCount else { return nil }
        if recentCount == 0 || newestRecentState != state {
            remember(state)
        }

        // One draw per step whatever happens, so the random sequence does not depend on the scores.
        let prefersForward = generator.nextUnit() < parameters.continuity
        var chosen: NavigationStep?
        if prefersForward {
            chosen = forwardStep(from: state, stateCount: stateCount, parameters: parameters, score: score)
        }
        if chosen == nil {
            chosen = chooseJump(from: state, oracle: oracle, parameters: parameters, score: score)
        }
        if chosen == nil && !prefersForward {
            chosen = forwardStep(from: state, stateCount: stateCount, parameters: parameters, score: score)
        }
        if let chosen {
            remember(chosen.state)
        }
        return chosen
    }

    /// Takes up to `count` steps from `state`, stopping early when a step finds nothing.
    public mutating func walk(
        from state: Int, count: Int, oracle: some OracleGraph, parameters: NavigationParameters,
        score: (Int) -> Double?
    ) -> [NavigationStep] {
        var steps: [NavigationStep] = []
        steps.reserveCapacity(max(0, count))
        var current = state
        for _ in 0..<max(0, count) {
            guard let next = step(from: current, oracle: oracle, parameters: parameters, score: score) else { break }
            steps.append(next)
            current = next.state
        }
        return steps
    }

    // MARK: - Moves

    /// The forward continuation (wrapping from the last state to state 1), if it is not taboo and scores enough.
    private func forwardStep(
        from state: Int, stateCount: Int, parameters: NavigationParameters, score: (Int) -> Double?
    ) -> NavigationStep? {
        let successor = state + 1 < stateCount ? state + 1 : 1
        guard !isTaboo(successor, window: parameters.tabooWindow),
            let quality = acceptedQuality(score(successor), parameters: parameters)
        else { return nil }
        return NavigationStep(move: .forward(from: state, to: successor), quality: quality)
    }

    /// A state sharing context with the current one, and the jump target after it.
    private struct JumpCandidate {
        var target: Int
        var context: Int
        var quality: Double
    }

    /// Samples a jump among the qualifying successors of the suffix-link neighbourhood of `state`.
    private mutating func chooseJump(
        from state: Int, oracle: some OracleGraph, parameters: NavigationParameters, score: (Int) -> Double?
    ) -> NavigationStep? {
        let neighbours = Self.contextNeighbours(
            of: state, oracle: oracle, minimumContext: parameters.minimumContext)
        let lastState = oracle.stateCount - 1
        var candidates: [JumpCandidate] = []
        candidates.reserveCapacity(neighbours.count)
        for (pivot, context) in neighbours {
            let target = pivot < lastState ? pivot + 1 : 1
            guard !isTaboo(target, window: parameters.tabooWindow),
                let quality = acceptedQuality(score(target), parameters: parameters)
            else { continue }
            candidates.append(JumpCandidate(target: target, context: context, quality: quality))
        }
        guard !candidates.isEmpty else { return nil }

        // Weight = context x quality, normalised to the best, then reshaped by the temperature.
        let rawWeights = candidates.map { Double($0.context) * $0.quality }
        let largest = rawWeights.max() ?? 0
        let exponent = 1 / parameters.temperature
        let weights =
            largest > 0
            ? rawWeights.map { $0 > 0 ? Double.pow($0 / largest, exponent) : 0 }
            : rawWeights.map { _ in 1 }
        let total = weights.reduce(0, +)
        var remaining = generator.nextUnit() * total
        var chosenIndex = candidates.count - 1
        for (index, weight) in weights.enumerated() where weight > 0 {
            if remaining < weight {
                chosenIndex = index
                break
            }
            remaining -= weight
        }
        // Guard against rounding leaving the pick on a zero-weight tail entry.
        if weights[chosenIndex] == 0, let lastPositive = weights.lastIndex(where: { $0 > 0 }) {
            chosenIndex = lastPositive
        }
        let chosen = candidates[chosenIndex]
        return NavigationStep(
            move: .jump(from: state, to: chosen.target, lrs: chosen.context), quality: chosen.quality)
    }

    /// States reachable from `state` over suffix and reverse-suffix links within a few levels, each with the
    /// context it shares with `state` (the smallest LRS along the path), keeping only those with at least
    /// `minimumContext`. Breadth first, suffix link before reverse links (ascending), so the order is stable.
    static func contextNeighbours(
        of state: Int, oracle: some OracleGraph, minimumContext: Int
    ) -> [(state: Int, context: Int)] {
        var found: [(state: Int, context: Int)] = []
        var frontier: [(state: Int, context: Int)] = [(state, Int.max)]
        var examinedLinks = 0

        func isKnown(_ candidate: Int) -> Bool {
            candidate == state || found.contains { $0.state == candidate }
        }

        for _ in 0..<maximumNeighbourhoodDepth {
            var nextFrontier: [(state: Int, context: Int)] = []
            for (node, context) in frontier {
                let link = oracle.suffixLink(of: node)
                let length = oracle.lrs(of: node)
                if link > 0 && length >= minimumContext && !isKnown(link) {
                    let shared = min(context, length)
                    found.append((link, shared))
                    nextFrontier.append((link, shared))
                    if found.count >= maximumCandidates { return found }
                }
                for child in oracle.reverseSuffixLinks(of: node) {
                    examinedLinks += 1
                    if examinedLinks > maximumExaminedLinks { return found }
                    let length = oracle.lrs(of: child)
                    guard length >= minimumContext && !isKnown(child) else { continue }
                    let shared = min(context, length)
                    found.append((child, shared))
                    nextFrontier.append((child, shared))
                    if found.count >= maximumCandidates { return found }
                }
            }
            if nextFrontier.isEmpty { break }
            frontier = nextFrontier
        }
        return found
    }

    // MARK: - Filters and taboo memory

    /// The quality if the score accepts the state at or above the threshold, else nil.
    private func acceptedQuality(_ quality: Double?, parameters: NavigationParameters) -> Double? {
        guard let quality, !quality.isNaN else { return nil }
        let clamped = min(max(quality, 0), 1)
        return clamped >= parameters.qualityThreshold ? clamped : nil
    }

    private var newestRecentState: Int {
        recentBuffer[(recentStart + recentCount - 1) % recentBuffer.count]
    }

    private func isTaboo(_ state: Int, window: Int) -> Bool {
        let checked = min(window, recentCount)
        let capacity = recentBuffer.count
        for offset in 0..<checked where recentBuffer[(recentStart + recentCount - 1 - offset) % capacity] == state {
            return true
        }
        return false
    }

    private mutating func remember(_ state: Int) {
        let capacity = recentBuffer.count
        if recentCount < capacity {
            recentBuffer[(recentStart + recentCount) % capacity] = state
            recentCount += 1
        } else {
            recentBuffer[recentStart] = state
            recentStart = (recentStart + 1) % capacity
        }
    }
}
