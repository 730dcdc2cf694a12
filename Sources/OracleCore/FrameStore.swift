/// The feature frames, kept as the arrays they were appended as (shared, not copied: copying would touch as much
/// fresh memory as the frames take, most of a large build's page faults), their leading features again in one dense
/// array, and one representative frame per label stored contiguously, so that the comparisons at the root (one per
/// label) run over one dense buffer; with many labels an exact index (`RepresentativeIndex`) skips the labels that
/// cannot be within the threshold.
struct FrameStore: Sendable {
    /// Number of features per frame.
    let dimension: Int
    /// Distances must be strictly below this to match.
    let threshold: Double
    /// Frame of state `i` at `frames[i - 1]`, each of `dimension` finite values.
    private(set) var frames: [[Double]] = []
    /// The first `Head.scalarCount` features of every frame (zero-padded), dense (head of state `i` at
    /// `(i - 1) * Head.scalarCount`): the walk's comparisons mostly stop within them, so most never touch the frame.
    /// Plain Doubles rather than SIMD elements, whose metadata would cost a conformance scan on first use.
    private(set) var heads: [Double] = []
    /// Frame of the first state of label `l` at `l * dimension ..< (l + 1) * dimension`.
    private(set) var representatives: [Double] = []
    /// First state of every label (the root's transitions).
    private(set) var representativeStates: [Int] = []
    /// Built once there are `RepresentativeIndex.minimumLabelCount` labels; nil before (a scan is cheaper then).
    private var index: RepresentativeIndex?

    /// The leading features of a frame.
    typealias Head = SIMD4<Double>

    /// An empty store for frames of `dimension` features.
    init(dimension: Int, threshold: Double) {
        self.dimension = dimension
        self.threshold = threshold
    }

    /// Number of stored frames.
    var frameCount: Int { frames.count }

    /// Number of stored representatives (labels).
    var representativeCount: Int { representativeStates.count }

    /// All frames, contiguous.
    var flatFrames: [Double] {
        var flat: [Double] = []
        flat.reserveCapacity(frames.count * dimension)
        for frame in frames {
            flat.append(contentsOf: frame)
        }
        return flat
    }

    /// Reserves room for `additionalFrames` more frames.
    mutating func reserveCapacity(additionalFrames: Int) {
        frames.reserveCapacity(frames.count + max(0, additionalFrames))
        heads.reserveCapacity(heads.count + max(0, additionalFrames) * Head.scalarCount)
    }

    /// Appends `newFrames` after checking each one's length and values; on a bad frame nothing is appended.
    ///
    /// - Throws: `OracleError.dimensionMismatch` or `.nonFiniteFeature` with the frame's index in `newFrames`.
    mutating func appendFrames(_ newFrames: [[Double]]) throws(OracleError) {
        let oldCount = frameCount
        for (index, frame) in newFrames.enumerated() {
            do {
                try appendFrame(frame, index: index)
            } catch {
                frames.removeSubrange(oldCount..<frames.count)
                heads.removeSubrange(oldCount * Head.scalarCount..<heads.count)
                throw error
            }
        }
    }

    /// Appends `frame` after checking its length and values; nothing is appended when it is bad.
    ///
    /// - Throws: `OracleError.dimensionMismatch` or `.nonFiniteFeature`, naming the frame `index`.
    mutating func appendFrame(_ frame: [Double], index: Int) throws(OracleError) {
        let head = frame.withUnsafeBufferPointer { values -> Head? in
            guard values.count == dimension else { return nil }
            // Adding one to the exponent field carries into the sign bit only when the field is all ones
            // (infinity or NaN): one test per frame instead of one branch per value.
            var carries: UInt64 = 0
            for value in values {
                carries |= (value.bitPattern & Self.exponentMask) &+ Self.exponentOne
            }
            guard carries & Self.signBit == 0 else { return nil }
            return Self.head(of: values.baseAddress!, dimension: dimension)
        }
        guard let head else {
            guard frame.count == dimension else {
                throw .dimensionMismatch(frame: index, expected: dimension, actual: frame.count)
            }
            throw .nonFiniteFeature(frame: index, component: frame.firstIndex { !$0.isFinite }!)
        }
        frames.append(frame)
        Self.append(head, to: &heads)
    }

    /// The exponent field of a Double: all ones for infinities and NaNs.
    private static let exponentMask: UInt64 = 0x7FF0_0000_0000_0000
    /// One in the exponent field's lowest bit.
    private static let exponentOne: UInt64 = 0x0010_0000_0000_0000
    /// The sign bit, just above the exponent field.
    private static let signBit: UInt64 = 0x8000_0000_0000_0000

    /// Appends frames already checked for length and values.
    mutating func appendFrames(validated newFrames: [[Double]]) {
        frames.append(contentsOf: newFrames)
        for frame in newFrames {
            let head = frame.withUnsafeBufferPointer { Self.head(of: $0.baseAddress!, dimension: dimension) }
            Self.append(head, to: &heads)
        }
    }

    /// Appends the lanes of `head` to `heads`.
    @inline(__always)
    private static func append(_ head: Head, to heads: inout [Double]) {
        heads.append(head[0])
        heads.append(head[1])
        heads.append(head[2])
        heads.append(head[3])
    }

    /// The first features of a frame, zero-padded when the dimension is smaller (a zero difference adds nothing).
    @inline(__always)
    static func head(of frame: UnsafePointer<Double>, dimension: Int) -> Head {
        if dimension >= Head.scalarCount {
            return UnsafeRawPointer(frame).loadUnaligned(as: Head.self)
        }
        var head = Head()
        for feature in 0..<dimension {
            head[feature] = frame[feature]
        }
        return head
    }

    /// Stores the frame of `state` as the representative of the next label.
    mutating func appendRepresentative(ofState state: Int) {
        let label = representativeStates.count
        representatives.append(contentsOf: frames[state - 1])
        representativeStates.append(state)
        if index != nil {
            representatives.withUnsafeBufferPointer { representatives in
                index!.insert(label: label, frame: representatives.baseAddress! + label * dimension)
            }
        } else if label + 1 >= RepresentativeIndex.minimumLabelCount
            && RepresentativeIndex.isApplicable(dimension: dimension, threshold: threshold)
        {
            index = RepresentativeIndex(
                dimension: dimension, threshold: threshold, representatives: representatives)
        }
    }

    /// Replaces all frames and representatives (restore path); `newFrames` holds `dimension` values per frame.
    mutating func replace(frames newFrames: [Double], representativeStates states: [Int]) {
        frames = []
        heads = []
        appendFrames(
            validated: stride(from: 0, to: newFrames.count, by: dimension).map {
                Array(newFrames[$0..<$0 + dimension])
            })
        representatives = []
        representativeStates = []
        index = nil
        representatives.reserveCapacity(states.count * dimension)
        for state in states {
            appendRepresentative(ofState: state)
        }
    }

    /// Stored frame of `state` (`state >= 1`).
    func frame(of state: Int) -> ArraySlice<Double> {
        frames[state - 1][...]
    }

    /// The label whose representative is nearest to `query` with a distance strictly below the threshold (the
    /// first label on a tie), exactly as a scan of every representative in label order decides.
    func nearestRepresentative(to query: UnsafePointer<Double>) -> (label: Int, distance: Double)? {
        if let index { return index.nearest(to: query) }
        return representatives.withUnsafeBufferPointer { representatives in
            guard let base = representatives.baseAddress else { return nil }
            return nearestRow(
                to: query, rows: base, count: representativeStates.count, dimension: dimension,
                threshold: threshold)
        }
    }
}

extension FrameStore: Equatable {
    /// Same frames and threshold; the representatives and the index follow from them and the labels.
    static func == (lhs: FrameStore, rhs: FrameStore) -> Bool {
        lhs.dimension == rhs.dimension && lhs.threshold.bitPattern == rhs.threshold.bitPattern
            && lhs.frames == rhs.frames && lhs.representativeStates == rhs.representativeStates
    }
}

/// The row among `count` contiguous rows of `dimension` values nearest to `query` with a distance strictly below
/// `threshold` (the first row on a tie), and its distance.
@inline(__always)
func nearestRow(
    to query: UnsafePointer<Double>, rows: UnsafePointer<Double>, count: Int, dimension: Int, threshold: Double
) -> (label: Int, distance: Double)? {
    var best: (label: Int, distance: Double)?
    var bound = threshold
    for row in 0..<count {
        let distance = euclideanDistance(query, rows + row * dimension, count: dimension, unlessAtLeast: bound)
        if distance < bound {
            best = (row, distance)
            bound = distance
        }
    }
    return best
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

/// Which stored frames are near a query frame; used by the tracker.
struct FrameQuery {
    /// The store searched.
    let store: FrameStore
    /// The query frame (`store.dimension` values).
    let query: UnsafePointer<Double>
    /// Distances must be strictly below this to match.
    let threshold: Double

    /// The state among `states` with the smallest distance below the threshold (first on a tie), and its distance.
    func nearestState(among states: some Sequence<Int>) -> (state: Int, distance: Double)? {
        let dimension = store.dimension
        var best: (state: Int, distance: Double)?
        var bound = threshold
        for state in states {
            let distance = store.frames[state - 1].withUnsafeBufferPointer { frame in
                euclideanDistance(query, frame.baseAddress!, count: dimension, unlessAtLeast: bound)
            }
            if distance < bound {
                best = (state, distance)
                bound = distance
            }
        }
        return best
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
        store.frames[state - 1].withUnsafeBufferPointer { frame in
            euclideanDistance(query, frame.baseAddress!, count: store.dimension)
        }
    }
}

/// Frame matching for the construction walk: the nearest target strictly within the threshold, the first in
/// transition order on a tie (vmo's `argmin`).
struct FrameMatcher: TransitionMatcher {
    /// The store: frames and the root's representatives.
    let store: FrameStore
    /// All frames: frame of state `s` at `frames[s - 1]`.
    let frames: UnsafeBufferPointer<[Double]>
    /// Leading features of all frames: head of state `s` at `heads[s - 1]`.
    let heads: UnsafePointer<Double>
    /// The frame being added.
    let query: UnsafePointer<Double>
    /// Its index in `frames`.
    let queryIndex: Int
    /// Its leading features.
    let queryHead: FrameStore.Head

    func matchingTarget(from source: Int, targets: TransitionTargets, nodes: UnsafeBufferPointer<StateNode>) -> Int? {
        let threshold = store.threshold
        // A distance is never below 0, so nothing matches (spec §2).
        guard threshold > 0 else { return nil }
        // At the root the targets are the first state of every label, in label order.
        if source == 0 {
            return store.nearestRepresentative(to: query).map { store.representativeStates[$0.label] }
        }
        let dimension = store.dimension
        var best = -1
        var bound = threshold
        var limit = safeSquare(threshold)
        // `euclideanDistance(_:_:count:unlessAtLeast:)` in two passes over batches of targets. The first sums the
        // leading terms from the dense heads without branching and, for the targets still within the limit, already
        // loads their next feature, so the cache misses on their frames overlap instead of queueing up. The second
        // finishes the survivors in transition order. Partial sums never decrease, so testing once after the
        // heads stops exactly where testing after every term would.
        let headCount = FrameStore.Head.scalarCount
        let rest = dimension - headCount
        return withUnsafeTemporaryAllocation(of: PendingTarget.self, capacity: Self.batchSize) { pending in
            var iterator = targets
            var exhausted = false
            while !exhausted {
                var count = 0
                while count < Self.batchSize {
                    guard let target = iterator.next() else {
                        exhausted = true
                        break
                    }
                    let head = UnsafeRawPointer(heads + (target - 1) * headCount)
                    let difference = queryHead - head.loadUnaligned(as: FrameStore.Head.self)
                    let square = difference * difference
                    let sum = ((square[0] + square[1]) + square[2]) + square[3]
                    let survives = sum <= limit
                    // A dropped target reads the query's own value instead: no miss, no branch.
                    let next =
                        rest > 0
                        ? frames[survives ? target - 1 : queryIndex].withUnsafeBufferPointer { $0[headCount] } : 0
                    pending[count] = PendingTarget(target: target, sum: sum, next: next)
                    count &+= survives ? 1 : 0
                }
                for entry in pending[..<count] {
                    var sum = entry.sum
                    if rest > 0 {
                        let difference = query[headCount] - entry.next
                        sum += difference * difference
                        if sum > limit { continue }
                        let complete = frames[entry.target - 1].withUnsafeBufferPointer { frame in
                            // Four differences and squares at a time, added one by one in order.
                            var feature = headCount + 1
                            while feature &+ 4 <= dimension {
                                let difference =
                                    UnsafeRawPointer(query + feature).loadUnaligned(as: FrameStore.Head.self)
                                    - UnsafeRawPointer(frame.baseAddress! + feature).loadUnaligned(
                                        as: FrameStore.Head.self)
                                let square = difference * difference
                                sum += square[0]
                                sum += square[1]
                                sum += square[2]
                                sum += square[3]
                                if sum > limit { return false }
                                feature &+= 4
                            }
                            while feature < dimension {
                                let difference = query[feature] - frame[feature]
                                sum += difference * difference
                                feature &+= 1
                            }
                            return sum <= limit
                        }
                        guard complete else { continue }
                    } else if sum > limit {
                        continue
                    }
                    let distance = sum.squareRoot()
                    if distance < bound {
                        best = entry.target
                        bound = distance
                        limit = safeSquare(distance)
                    }
                }
            }
            return best >= 0 ? best : nil
        }
    }

    /// Targets whose first pass is done before the second starts.
    static let batchSize = 8

    /// A target that passed the first pass, with its partial sum and its next feature value.
    struct PendingTarget {
        var target: Int
        var sum: Double
        var next: Double
    }
}
