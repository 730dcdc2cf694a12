/// Feature frames stored contiguously (stride = dimension), plus one representative frame per label stored the
/// same way, so that the comparisons at the root (one per label) run over one dense buffer.
struct FrameStore: Sendable, Equatable {
    /// Number of features per frame.
    let dimension: Int
    /// Frame of state `i` at `(i - 1) * dimension ..< i * dimension`.
    private(set) var frames: [Double] = []
    /// Frame of the first state of label `l` at `l * dimension ..< (l + 1) * dimension`.
    private(set) var representatives: [Double] = []

    /// An empty store for frames of `dimension` features.
    init(dimension: Int) {
        self.dimension = dimension
    }

    /// Number of stored frames.
    var frameCount: Int { frames.count / dimension }

    /// Number of stored representatives (labels).
    var representativeCount: Int { representatives.count / dimension }

    /// Reserves room for `additionalFrames` more frames.
    mutating func reserveCapacity(additionalFrames: Int) {
        frames.reserveCapacity(frames.count + max(0, additionalFrames) * dimension)
    }

    /// Appends the frame of the next state; the caller has checked its length and values.
    mutating func appendFrame(_ frame: some Collection<Double>) {
        frames.append(contentsOf: frame)
    }

    /// Stores the frame of `state` as the representative of the next label.
    mutating func appendRepresentative(ofState state: Int) {
        let start = (state - 1) * dimension
        representatives.append(contentsOf: frames[start..<start + dimension])
    }

    /// Replaces all frames and representatives (restore path).
    mutating func replace(frames newFrames: [Double], representativeStates: [Int]) {
        frames = newFrames
        representatives = []
        representatives.reserveCapacity(representativeStates.count * dimension)
        for state in representativeStates {
            appendRepresentative(ofState: state)
        }
    }

    /// Stored frame of `state` (`state >= 1`).
    func frame(of state: Int) -> ArraySlice<Double> {
        let start = (state - 1) * dimension
        return frames[start..<start + dimension]
    }
}

/// Euclidean distance between `count` values at `first` and `second`, summed in order in Float64 like vmo.
@inline(__always)
func euclideanDistance(
    _ first: UnsafePointer<Double>, _ second: UnsafePointer<Double>, count: Int
) -> Double {
    var sum = 0.0
    for index in 0..<count {
        let difference = first[index] - second[index]
        sum += difference * difference
    }
    return sum.squareRoot()
}

/// The same distance, or `.infinity` as soon as the partial sum proves it cannot be below `bound`.
///
/// Exact: a sum of non-negative terms never decreases under rounding, and a partial sum above `bound²` (rounded up
/// by `safeSquare`) means the correctly rounded square root of the full sum is at least `bound`, so the frame
/// could neither match (strict `<`) nor beat an equal best. Skips most of the work for far-away frames.
@inline(__always)
func euclideanDistance(
    _ first: UnsafePointer<Double>, _ second: UnsafePointer<Double>, count: Int, unlessAtLeast bound: Double
) -> Double {
    let limit = safeSquare(bound)
    var sum = 0.0
    for index in 0..<count {
        let difference = first[index] - second[index]
        sum += difference * difference
        if sum > limit { return .infinity }
    }
    return sum.squareRoot()
}

/// A value no smaller than the exact square of `value`: the rounded square nudged up by a few ulps (relative for
/// normal squares, absolute for subnormal ones).
@inline(__always)
func safeSquare(_ value: Double) -> Double {
    let square = value * value
    return square + max(square * 0x1.0p-50, 2 * Double.leastNonzeroMagnitude)
}

/// Which stored frames are near a query frame; used by construction and by the tracker.
struct FrameQuery {
    /// The store searched.
    let store: FrameStore
    /// The query frame (`store.dimension` values).
    let query: UnsafePointer<Double>
    /// Distances must be strictly below this to match.
    let threshold: Double

    /// The state among `states` with the smallest distance below the threshold (first on a tie), and its distance.
    func nearestState(among states: [Int]) -> (state: Int, distance: Double)? {
        let dimension = store.dimension
        return store.frames.withUnsafeBufferPointer { frames -> (state: Int, distance: Double)? in
            guard let base = frames.baseAddress else { return nil }
            var best: (state: Int, distance: Double)?
            var bound = threshold
            for state in states {
                let distance = euclideanDistance(
                    query, base + (state - 1) * dimension, count: dimension, unlessAtLeast: bound)
                if distance < bound {
                    best = (state, distance)
                    bound = distance
                }
            }
            return best
        }
    }

    /// The label whose representative is nearest (below the threshold, first on a tie), and its distance.
    func nearestRepresentative() -> (label: Int, distance: Double)? {
        let dimension = store.dimension
        let count = store.representativeCount
        return store.representatives.withUnsafeBufferPointer { representatives -> (label: Int, distance: Double)? in
            guard let base = representatives.baseAddress else { return nil }
            var best: (label: Int, distance: Double)?
            var bound = threshold
            for label in 0..<count {
                let distance = euclideanDistance(
                    query, base + label * dimension, count: dimension, unlessAtLeast: bound)
                if distance < bound {
                    best = (label, distance)
                    bound = distance
                }
            }
            return best
        }
    }

    /// Up to `count` labels whose representatives are nearest to the query, nearest first, whatever the
    /// threshold (ties keep label order).
    func nearestRepresentatives(count: Int) -> [Int] {
        let dimension = store.dimension
        let labelCount = store.representativeCount
        return store.representatives.withUnsafeBufferPointer { representatives -> [Int] in
            guard let base = representatives.baseAddress, count > 0 else { return [] }
            var nearest: [(label: Int, distance: Double)] = []
            nearest.reserveCapacity(count + 1)
            for label in 0..<labelCount {
                let bound = nearest.count == count ? nearest[count - 1].distance : .infinity
                let distance = euclideanDistance(
                    query, base + label * dimension, count: dimension, unlessAtLeast: bound)
                if distance >= bound { continue }
                let position = nearest.firstIndex { distance < $0.distance } ?? nearest.count
                nearest.insert((label, distance), at: position)
                if nearest.count > count { nearest.removeLast() }
            }
            return nearest.map(\.label)
        }
    }

    /// The distance from the query to the frame of `state` (`state >= 1`).
    func distance(to state: Int) -> Double {
        store.frames.withUnsafeBufferPointer { frames in
            euclideanDistance(query, frames.baseAddress! + (state - 1) * store.dimension, count: store.dimension)
        }
    }
}

/// Frame matching for the construction walk: the nearest target strictly within the threshold.
struct FrameMatcher: TransitionMatcher {
    let query: FrameQuery

    func matchingTarget(among targets: [Int], from state: Int, labels: [Int]) -> Int? {
        // At the root the targets are the first state of every label, in label order, whose frames are the
        // contiguous representatives.
        if state == 0 {
            return query.nearestRepresentative().map { targets[$0.label] }
        }
        return query.nearestState(among: targets)?.state
    }
}
