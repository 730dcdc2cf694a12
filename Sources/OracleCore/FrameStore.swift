/// The feature frames, kept as the arrays they were appended as (shared, not copied: fresh memory costs a page fault
/// per page, a large part of a build) after a contiguous block of restored frames (a model file's frames in one
/// allocation, not one per frame), and the first state of every label, whose frame the root compares new frames
/// with; with many labels an exact index (`RepresentativeIndex`) skips the labels that cannot be within the threshold.
struct FrameStore: Sendable {
    /// Number of features per frame.
    let dimension: Int
    /// Distances must be strictly below this to match.
    let threshold: Double
    /// The first `restoredCount` frames, contiguous: frame at index `i` from `restored[i * dimension]`.
    private var restored: [Double] = []
    /// Number of frames in `restored`.
    private var restoredCount = 0
    /// The frames appended after them: frame at index `restoredCount + j` is `appended[j]`.
    private var appended: [[Double]] = []
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
    var frameCount: Int { restoredCount + appended.count }

    /// Number of stored representatives (labels).
    var representativeCount: Int { representativeStates.count }

    /// All frames, contiguous.
    var flatFrames: [Double] {
        var flat = restored
        flat.reserveCapacity(frameCount * dimension)
        for frame in appended {
            flat.append(contentsOf: frame)
        }
        return flat
    }

    /// Reserves room for `additionalFrames` more frames.
    mutating func reserveCapacity(additionalFrames: Int) {
        appended.reserveCapacity(appended.count + max(0, additionalFrames))
    }

    /// Appends `newFrames` after checking each one's length and values; on a bad frame nothing is appended.
    ///
    /// - Throws: `OracleError.dimensionMismatch` or `.nonFiniteFeature` with the frame's index in `newFrames`.
    mutating func appendFrames(_ newFrames: [[Double]]) throws(OracleError) {
        let dimension = dimension
        let bad = newFrames.withUnsafeBufferPointer { newFrames -> Int? in
            for index in newFrames.indices
            where !newFrames[index].withUnsafeBufferPointer({ $0.count == dimension && Self.allFinite($0) }) {
                return index
            }
            return nil
        }
        if let bad { throw Self.error(for: newFrames[bad], index: bad, dimension: dimension) }
        appendFrames(validated: newFrames)
    }

    /// Stores `count` frames held contiguously in `values` into an empty store, after checking every value.
    ///
    /// - Throws: `OracleError.nonFiniteFeature`; nothing is stored then.
    mutating func restoreFrames(contiguous values: [Double], count: Int) throws(OracleError) {
        precondition(frameCount == 0 && values.count == count * dimension, "restore into an empty store only")
        let bad = values.withUnsafeBufferPointer { Self.allFinite($0) ? nil : $0.firstIndex { !$0.isFinite } }
        if let bad { throw .nonFiniteFeature(frame: bad / dimension, component: bad % dimension) }
        restored = values
        restoredCount = count
    }

    /// Appends frames already checked for length and values. Into an empty store the array is taken as it is:
    /// sharing the caller's frames costs neither a copy nor a reference count per frame.
    mutating func appendFrames(validated newFrames: [[Double]]) {
        appendFrames(unchecked: newFrames)
    }

    /// Appends frames that `withMatcher` checks one by one (see `appendFrames(validated:)`).
    mutating func appendFrames(unchecked newFrames: [[Double]]) {
        if appended.isEmpty {
            appended = newFrames
        } else {
            appended.append(contentsOf: newFrames)
        }
    }

    /// Appends `frame` for `withMatcher` to check (see `appendFrames(unchecked:)`).
    mutating func appendFrame(unchecked frame: [Double]) {
        appended.append(frame)
    }

    /// Takes back the last frame appended.
    mutating func removeLastFrame() {
        appended.removeLast()
    }

    /// The error for the stored frame at `index`, which `withMatcher` found without `dimension` finite values (an
    /// appended frame: restored ones are checked when they are stored).
    func error(forFrameAt index: Int) -> OracleError {
        Self.error(for: appended[index - restoredCount], index: index - restoredCount, dimension: dimension)
    }

    /// Calls `body` with the first value of the stored frame at `index` (the frame of state `index + 1`).
    @inline(__always)
    func withFrame<Result>(at index: Int, _ body: (UnsafePointer<Double>) -> Result) -> Result {
        if index < restoredCount {
            return restored.withUnsafeBufferPointer { body($0.baseAddress! + index &* dimension) }
        }
        return appended[index - restoredCount].withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// The error for a frame that does not have `dimension` finite values.
    static func error(for frame: [Double], index: Int, dimension: Int) -> OracleError {
        guard frame.count == dimension else {
            return .dimensionMismatch(frame: index, expected: dimension, actual: frame.count)
        }
        return .nonFiniteFeature(frame: index, component: frame.firstIndex { !$0.isFinite } ?? 0)
    }

    /// True when no value is infinite or NaN.
    @inline(__always)
    private static func allFinite(_ values: UnsafeBufferPointer<Double>) -> Bool {
        // `x - x` is 0 for a finite value and NaN for an infinite or NaN one, and a NaN survives every addition: one
        // test per frame instead of one branch per value, two values at a time.
        typealias Pair = SIMD2<Double>
        let raw = UnsafeRawPointer(values.baseAddress!)
        var sums = Pair()
        var index = 0
        while index &+ Pair.scalarCount <= values.count {
            let pair = (raw + index &* MemoryLayout<Double>.stride).loadUnaligned(as: Pair.self)
            sums += pair - pair
            index &+= Pair.scalarCount
        }
        var sum = sums[0] + sums[1]
        if index < values.count {
            sum += values[index] - values[index]
        }
        return sum == 0
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

    /// Makes the frame of `state` the representative of the next label.
    mutating func appendRepresentative(ofState state: Int) {
        let label = representativeStates.count
        representativeStates.append(state)
        if var index {
            // Moved out first: inside `withFrame` the store's own copy would be shared, and every insertion would
            // copy the whole index.
            self.index = nil
            withFrame(at: state - 1) { index.insert(label: label, frame: $0) }
            self.index = index
        } else if label + 1 >= RepresentativeIndex.minimumLabelCount
            && RepresentativeIndex.isApplicable(dimension: dimension, threshold: threshold)
        {
            var newIndex = RepresentativeIndex(dimension: dimension, threshold: threshold)
            for (label, state) in representativeStates.enumerated() {
                withFrame(at: state - 1) { newIndex.insert(label: label, frame: $0) }
            }
            index = newIndex
        }
    }

    /// Stored frame of `state` (`state >= 1`).
    func frame(of state: Int) -> ArraySlice<Double> {
        let index = state - 1
        if index < restoredCount {
            return restored[index * dimension..<(index + 1) * dimension]
        }
        return appended[index - restoredCount][...]
    }

    /// Calls `body` with a matcher for the stored frame at `index` (the frame of state `index + 1`) and `context`
    /// (passed through rather than captured: a closure would capture a copy). Returns nil without calling `body` when
    /// the frame does not have `dimension` finite values.
    func withMatcher<Context, Result>(
        forFrameAt index: Int, passing context: inout Context, _ body: (FrameMatcher, inout Context) -> Result
    ) -> Result? {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: dimension) { query in
            restored.withUnsafeBufferPointer { restored in
                appended.withUnsafeBufferPointer { appended in
                    // A copy of the frame being added (pointing into its array during the whole step would cost
                    // reference counting on it), checked on the way; frames are added after the restored ones.
                    let valid = appended[index - restoredCount].withUnsafeBufferPointer { frame in
                        frame.count == dimension
                            && Self.copyFinite(from: frame.baseAddress!, to: query.baseAddress!, count: dimension)
                    }
                    guard valid else { return nil }
                    return body(
                        FrameMatcher(
                            restored: restored.baseAddress, restoredCount: restoredCount,
                            appended: appended.baseAddress!, query: UnsafePointer(query.baseAddress!),
                            queryHead: Self.head(of: query.baseAddress!, dimension: dimension),
                            dimension: dimension, threshold: threshold),
                        &context)
                }
            }
        }
    }

    /// Copies `count` values and tells whether none is infinite or NaN.
    @inline(__always)
    private static func copyFinite(
        from source: UnsafePointer<Double>, to destination: UnsafeMutablePointer<Double>, count: Int
    ) -> Bool {
        // Adding one to the exponent field carries into the sign bit only when the field is all ones (infinity or
        // NaN): integer operations on the copied bits, one test at the end.
        typealias Bits = SIMD2<UInt64>
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(destination)
        var carries = Bits()
        var offset = 0
        let end = count &* MemoryLayout<Double>.stride
        while offset &+ MemoryLayout<Bits>.stride <= end {
            let bits = from.loadUnaligned(fromByteOffset: offset, as: Bits.self)
            to.storeBytes(of: bits, toByteOffset: offset, as: Bits.self)
            carries |= (bits & exponentMask) &+ exponentOne
            offset &+= MemoryLayout<Bits>.stride
        }
        var carry = carries[0] | carries[1]
        if offset < end {
            let bits = from.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            to.storeBytes(of: bits, toByteOffset: offset, as: UInt64.self)
            carry |= (bits & exponentMask) &+ exponentOne
        }
        return carry & signBit == 0
    }

    /// The exponent field of a Double: all ones for infinities and NaNs.
    private static let exponentMask: UInt64 = 0x7FF0_0000_0000_0000
    /// One in the exponent field's lowest bit.
    private static let exponentOne: UInt64 = 0x0010_0000_0000_0000
    /// The sign bit, just above the exponent field.
    private static let signBit: UInt64 = 0x8000_0000_0000_0000

    /// The first state of the label `nearestRepresentative(to:)` finds for the stored frame at `index`.
    func nearestRepresentativeState(toFrameAt index: Int) -> Int? {
        // A distance is never below 0, so nothing matches (spec §2).
        guard threshold > 0 else { return nil }
        return withFrame(at: index) { query in
            nearestRepresentative(to: query).map { representativeStates[$0] }
        }
    }

    /// The label whose representative is nearest to `query` with a distance strictly below the threshold (the
    /// first label on a tie), exactly as a scan of every representative in label order decides.
    func nearestRepresentative(to query: UnsafePointer<Double>) -> Int? {
        if let index { return index.nearest(to: query) }
        let head = Self.head(of: query, dimension: dimension)
        var search = NearestSearch(dimension: dimension, threshold: threshold)
        for (label, state) in representativeStates.enumerated() {
            let estimate = withFrame(at: state - 1) {
                estimatedSquaredDistance(query, head: head, $0, dimension: dimension, unlessAbove: search.limit)
            }
            search.consider(label, estimate: estimate) { label in
                withFrame(at: representativeStates[label] - 1) { euclideanDistance(query, $0, count: dimension) }
            }
        }
        return search.best
    }
}

extension FrameStore: Equatable {
    /// Same frames and threshold; the representatives and the index follow from them and the labels.
    static func == (lhs: FrameStore, rhs: FrameStore) -> Bool {
        guard lhs.dimension == rhs.dimension, lhs.threshold.bitPattern == rhs.threshold.bitPattern,
            lhs.frameCount == rhs.frameCount, lhs.representativeStates == rhs.representativeStates
        else { return false }
        return (0..<lhs.frameCount).allSatisfy { index in lhs.frame(of: index + 1) == rhs.frame(of: index + 1) }
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
            let distance = store.withFrame(at: state - 1) { frame in
                euclideanDistance(query, frame, count: dimension, unlessAtLeast: bound)
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
        guard count > 0 else { return [] }
        let dimension = store.dimension
        var nearest: [(label: Int, distance: Double)] = []
        nearest.reserveCapacity(count + 1)
        for (label, state) in store.representativeStates.enumerated() {
            let bound = nearest.count == count ? nearest[count - 1].distance : .infinity
            let distance = store.withFrame(at: state - 1) { frame in
                euclideanDistance(query, frame, count: dimension, unlessAtLeast: bound)
            }
            if distance >= bound { continue }
            let position = nearest.firstIndex { distance < $0.distance } ?? nearest.count
            nearest.insert((label, distance), at: position)
            if nearest.count > count { nearest.removeLast() }
        }
        return nearest.map(\.label)
    }

    /// The distance from the query to the frame of `state` (`state >= 1`).
    func distance(to state: Int) -> Double {
        store.withFrame(at: state - 1) { frame in
            euclideanDistance(query, frame, count: store.dimension)
        }
    }
}

/// Frame matching for the construction walk: the nearest target strictly within the threshold, the first in
/// transition order on a tie (vmo's `argmin`).
///
/// Holds pointers only, so that making one per state costs no reference counting; valid inside
/// `FrameStore.withMatcher` only. The root's targets are searched by `FrameStore.nearestRepresentativeState`.
struct FrameMatcher: TransitionMatcher {
    /// The restored frames, contiguous (nil when there are none): frame of state `s <= restoredCount` from
    /// `restored[(s - 1) * dimension]`.
    let restored: UnsafePointer<Double>?
    /// Number of restored frames.
    let restoredCount: Int
    /// The appended frames: frame of state `s > restoredCount` at `appended[s - 1 - restoredCount]`.
    let appended: UnsafePointer<[Double]>
    /// The frame being added.
    let query: UnsafePointer<Double>
    /// Its leading features.
    let queryHead: FrameStore.Head
    /// Features per frame.
    let dimension: Int
    /// Distances must be strictly below this to match.
    let threshold: Double

    func matchingTarget(from source: Int, targets: TransitionTargets, nodes: UnsafeBufferPointer<StateNode>) -> Int? {
        // A distance is never below 0, so nothing matches (spec §2).
        guard threshold > 0 else { return nil }
        var search = NearestSearch(dimension: dimension, threshold: threshold)
        for target in targets {
            let index = target &- 1
            let estimate: Double
            if index < restoredCount {
                let frame = restored.unsafelyUnwrapped + index &* dimension
                estimate = estimatedSquaredDistance(
                    query, head: queryHead, frame, dimension: dimension, unlessAbove: search.limit)
            } else {
                estimate = appended[index &- restoredCount].withUnsafeBufferPointer { frame in
                    estimatedSquaredDistance(
                        query, head: queryHead, frame.baseAddress!, dimension: dimension, unlessAbove: search.limit)
                }
            }
            search.consider(target, estimate: estimate, distance: distance(to:))
        }
        return search.best
    }

    /// The distance from the query to the frame of `state`, summed in order.
    private func distance(to state: Int) -> Double {
        let index = state &- 1
        if index < restoredCount {
            return euclideanDistance(query, restored.unsafelyUnwrapped + index &* dimension, count: dimension)
        }
        return appended[index &- restoredCount].withUnsafeBufferPointer { frame in
            euclideanDistance(query, frame.baseAddress!, count: dimension)
        }
    }
}

/// The candidate nearest to a query frame with a Euclidean distance strictly below the threshold, the first one on
/// a tie: exactly what comparing every candidate's distance, summed in order in Float64 like vmo, decides, but
/// without most of those sums.
///
/// An in-order sum is a chain of dependent additions; a sum of the same terms in another order (`estimate`) takes a
/// fraction of the time, and both are within `dimension × 2^-53` (relative) of the exact total of the terms, so an
/// estimate decides a comparison whenever it is farther than `margin` (relative, which also covers the rounding of
/// a square root) from the value compared with. Only near-ties are summed in order: the threshold and the best
/// candidate so far are compared with in-order sums then, and the best's own in-order sum is computed only then.
struct NearestSearch {
    /// Distances must be strictly below this to match.
    let threshold: Double
    /// Relative distance between two squared-distance estimates (or an estimate and a square) that decides their
    /// order: far above `2 × dimension × 2^-53 + 2^-51`.
    let margin: Double
    /// A value at most `threshold²`: an estimate whose upper bound lies below it is a match.
    let thresholdSquareBelow: Double
    /// The best candidate so far, or -1.
    private var bestCandidate = -1
    /// Its squared-distance estimate.
    private var bestEstimate = 0.0
    /// Its distance summed in order, or -1 while not needed.
    private var bestDistance = -1.0
    /// At least the square of the distance to beat (the threshold, then the best's): a candidate whose in-order
    /// partial sum exceeds it loses.
    private(set) var limit: Double

    init(dimension: Int, threshold: Double) {
        self.threshold = threshold
        margin = Double(dimension + 8) * 0x1p-48
        thresholdSquareBelow = threshold * threshold * (1 - 0x1p-50)
        limit = safeSquare(threshold)
    }

    /// The best candidate, or nil when none is below the threshold.
    var best: Int? { bestCandidate >= 0 ? bestCandidate : nil }

    /// Compares `candidate`, whose squared distance is estimated by `estimate`, with the best so far; candidates
    /// come in the order in which ties are broken. `distance` gives a candidate's distance summed in order.
    @inline(__always)
    mutating func consider(_ candidate: Int, estimate: Double, distance: (Int) -> Double) {
        // The in-order sum is above the limit too (and an infinite estimate is): it cannot win.
        if estimate > limit + limit * (2 * margin) { return }
        let estimateAbove = estimate + estimate * margin
        let beats =
            bestCandidate < 0
            ? estimateAbove < thresholdSquareBelow : estimateAbove < bestEstimate - bestEstimate * margin
        if beats {
            take(candidate, estimate: estimate, distance: -1)
            return
        }
        // Too close to call: in order, as vmo sums.
        let candidateDistance = distance(candidate)
        if bestCandidate < 0 {
            if candidateDistance < threshold { take(candidate, estimate: estimate, distance: candidateDistance) }
            return
        }
        if bestDistance < 0 {
            bestDistance = distance(bestCandidate)
        }
        if candidateDistance < bestDistance { take(candidate, estimate: estimate, distance: candidateDistance) }
    }

    @inline(__always)
    private mutating func take(_ candidate: Int, estimate: Double, distance: Double) {
        bestCandidate = candidate
        bestEstimate = estimate
        bestDistance = distance
        limit = distance >= 0 ? safeSquare(distance) : estimate + estimate * margin + 2 * .leastNonzeroMagnitude
    }
}

/// An estimate of the sum of the squared differences of `query` and `frame` (`dimension` values; `head` holds the
/// query's first four, zero-padded): the same terms added in another order (see `NearestSearch`), or infinity once
/// the leading four, added in order, exceed `limit` (the in-order sum is then above it too: partial sums of
/// non-negative terms never decrease).
@inline(__always)
func estimatedSquaredDistance(
    _ query: UnsafePointer<Double>, head: FrameStore.Head, _ frame: UnsafePointer<Double>, dimension: Int,
    unlessAbove limit: Double
) -> Double {
    typealias Quad = SIMD4<Double>
    let difference = head - FrameStore.head(of: frame, dimension: dimension)
    let square = difference * difference
    let sum = ((square[0] + square[1]) + square[2]) + square[3]
    guard sum <= limit else { return .infinity }
    var sums = Quad()
    var feature = Quad.scalarCount
    while feature &+ Quad.scalarCount <= dimension {
        let difference =
            UnsafeRawPointer(query + feature).loadUnaligned(as: Quad.self)
            - UnsafeRawPointer(frame + feature).loadUnaligned(as: Quad.self)
        sums += difference * difference
        feature &+= Quad.scalarCount
    }
    var rest = (sums[0] + sums[1]) + (sums[2] + sums[3])
    while feature < dimension {
        let difference = query[feature] - frame[feature]
        rest += difference * difference
        feature &+= 1
    }
    return sum + rest
}

/// The sum of the squared differences of `query` and `frame` (`dimension` values; `head` holds the query's first
/// four, zero-padded), added in order, or a partial sum above `limit` as soon as one proves the sum is above it.
///
/// The sum of `euclideanDistance(_:_:count:unlessAtLeast:)` with the partial sum tested after the leading four terms
/// and then every four: partial sums never decrease, so this stops exactly where testing after every term would.
@inline(__always)
func squaredDistance(
    _ query: UnsafePointer<Double>, head: FrameStore.Head, _ frame: UnsafePointer<Double>, dimension: Int,
    unlessAbove limit: Double
) -> Double {
    typealias Head = FrameStore.Head
    let difference = head - FrameStore.head(of: frame, dimension: dimension)
    let square = difference * difference
    let sum = ((square[0] + square[1]) + square[2]) + square[3]
    guard sum <= limit, dimension > Head.scalarCount else { return sum }
    return addingSquaredDifferences(
        to: sum, query, frame, features: Head.scalarCount..<dimension, unlessAbove: limit)
}

/// `sum` plus the squared differences of `features` of `first` and `second`, added in order; returned early, above
/// `limit`, once the partial sum exceeds `limit` (tested every four terms).
@inline(__always)
func addingSquaredDifferences(
    to sum: Double, _ first: UnsafePointer<Double>, _ second: UnsafePointer<Double>, features: Range<Int>,
    unlessAbove limit: Double
) -> Double {
    typealias Quad = SIMD4<Double>
    var sum = sum
    var feature = features.lowerBound
    while feature &+ Quad.scalarCount <= features.upperBound {
        // Four differences and squares at a time, added one by one in order.
        let difference =
            UnsafeRawPointer(first + feature).loadUnaligned(as: Quad.self)
            - UnsafeRawPointer(second + feature).loadUnaligned(as: Quad.self)
        let square = difference * difference
        sum += square[0]
        sum += square[1]
        sum += square[2]
        sum += square[3]
        if sum > limit { return sum }
        feature &+= Quad.scalarCount
    }
    while feature < features.upperBound {
        let difference = first[feature] - second[feature]
        sum += difference * difference
        feature &+= 1
    }
    return sum
}
