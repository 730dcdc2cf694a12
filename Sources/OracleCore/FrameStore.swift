/// The feature frames, kept as the arrays they were appended as (shared, not copied: fresh memory costs a page fault
/// per page, a large part of a build) after a contiguous block of restored frames (a model file's frames in one
/// allocation, not one per frame), and the first state of every label, whose frame the root compares new frames
/// with; with many labels an exact index (`RepresentativeIndex`) skips the labels that cannot be within the threshold.
/// A single-precision mirror of the frames (`FrameMirror`) decides every comparison not near a tie.
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
    /// Single-precision copies of the frames that have states, which decide most comparisons.
    private var mirror: FrameMirror
    /// A search with no candidate yet for the mirror's current norm bound (made once per bound, not per search).
    private var freshSearch: MirroredNearestSearch
    /// Whether the walk-added transitions of every state are at least the threshold apart from each other and
    /// from its literal continuation, as the construction leaves them (a target is added exactly when the frame
    /// matches none of the state's targets); not known of restored transitions.
    var targetsAreSeparated = true

    /// An empty store for frames of `dimension` features.
    init(dimension: Int, threshold: Double) {
        self.dimension = dimension
        self.threshold = threshold
        mirror = FrameMirror(dimension: dimension)
        freshSearch = MirroredNearestSearch(threshold: threshold, dimension: dimension, normBound: 0)
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
        mirror.reserveCapacity(additionalFrames: additionalFrames)
    }

    /// Mirrors every stored frame not yet mirrored, in order, checking each one's length and values; returns the
    /// index of the first that does not have `dimension` finite values (it and every frame after it stay
    /// unmirrored), or nil. One pass before the construction, which then reads the mirror only (and a frame's own
    /// values only near a tie).
    mutating func mirrorPendingFrames() -> Int? {
        let dimension = dimension
        let normBound = mirror.normBound
        var bad: Int?
        if mirror.count < restoredCount {
            let first = mirror.count
            bad = restored.withUnsafeBufferPointer { restored in
                mirror.append(contiguous: restored.baseAddress! + first &* dimension, count: restoredCount - first)
                    .map { first + $0 }
            }
        }
        let first = mirror.count - restoredCount
        if bad == nil && first < appended.count {
            bad = appended.withUnsafeBufferPointer { frames in
                mirror.append(UnsafeBufferPointer(rebasing: frames[first...])).map { first + $0 + restoredCount }
            }
        }
        if mirror.normBound != normBound {
            freshSearch = MirroredNearestSearch(threshold: threshold, dimension: dimension, normBound: mirror.normBound)
        }
        return bad
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
        if let bad = Self.firstNonFinite(in: values) {
            throw .nonFiniteFeature(frame: bad / dimension, component: bad % dimension)
        }
        restored = values
        restoredCount = count
    }

    /// Appends the frames held contiguously in `values` (`dimension` values each), which `mirrorPendingFrames()`
    /// checks. Before any frame stored one by one they join the contiguous block: into an empty store the array is
    /// taken as it is.
    mutating func appendFrames(contiguous values: [Double]) {
        precondition(values.count % dimension == 0, "whole frames")
        let count = values.count / dimension
        guard appended.isEmpty else {
            appended.reserveCapacity(appended.count + count)
            for frame in 0..<count {
                appended.append(Array(values[frame * dimension..<(frame + 1) * dimension]))
            }
            return
        }
        if restoredCount == 0 {
            restored = values
        } else {
            restored.append(contentsOf: values)
        }
        restoredCount += count
    }

    /// Appends frames already checked for length and values. Into an empty store the array is taken as it is:
    /// sharing the caller's frames costs neither a copy nor a reference count per frame.
    mutating func appendFrames(validated newFrames: [[Double]]) {
        appendFrames(unchecked: newFrames)
    }

    /// Appends frames that `mirrorPendingFrames()` checks (see `appendFrames(validated:)`).
    mutating func appendFrames(unchecked newFrames: [[Double]]) {
        if appended.isEmpty {
            appended = newFrames
        } else {
            appended.append(contentsOf: newFrames)
        }
    }

    /// Appends `frame` for `mirrorPendingFrames()` to check (see `appendFrames(unchecked:)`).
    mutating func appendFrame(unchecked frame: [Double]) {
        appended.append(frame)
    }

    /// Takes back the last frame appended.
    mutating func removeLastFrame() {
        appended.removeLast()
    }

    /// The error for the stored frame at `index`, which `mirrorPendingFrames()` found without `dimension` finite
    /// values; `first` is the index of the first frame of the input it came with, which the error counts from.
    func error(forFrameAt index: Int, inputFrom first: Int) -> OracleError {
        let frame = index < restoredCount ? Array(frame(of: index + 1)) : appended[index - restoredCount]
        return Self.error(for: frame, index: index - first, dimension: dimension)
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

    /// The index of the first infinite or NaN value, or nil.
    static func firstNonFinite(in values: [Double]) -> Int? {
        values.withUnsafeBufferPointer { allFinite($0) ? nil : $0.firstIndex { !$0.isFinite } }
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

    /// Makes the frame of `state` the representative of the next label.
    mutating func appendRepresentative(ofState state: Int) {
        let label = representativeStates.count
        representativeStates.append(state)
        if var index = index.take() {
            // Moved out (not copied, which would retain every array): inside `withFrame` the store's own copy would
            // be shared, and every insertion would copy the whole index.
            insert(label: label, ofState: state, into: &index)
            self.index = index
        } else if label + 1 >= RepresentativeIndex.minimumLabelCount
            && RepresentativeIndex.isApplicable(dimension: dimension, threshold: threshold)
        {
            var newIndex = RepresentativeIndex(dimension: dimension, threshold: threshold)
            for (label, state) in representativeStates.enumerated() {
                insert(label: label, ofState: state, into: &newIndex)
            }
            index = newIndex
        }
    }

    /// Adds the frame of `state` (mirrored) to `index` as the representative of `label`.
    private func insert(label: Int, ofState state: Int, into index: inout RepresentativeIndex) {
        mirror.values.withUnsafeBufferPointer { mirrored in
            withFrame(at: state - 1) { frame in
                index.insert(label: label, frame: frame, mirrored: mirrored.baseAddress! + (state - 1) * mirror.stride)
            }
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

    /// Calls `body` with a matcher for the stored frame at `index` (the frame of state `index + 1`, mirrored, as
    /// every frame before it) and `context` (passed through rather than captured: a closure would capture a copy).
    func withMatcher<Context, Result>(
        forFrameAt index: Int, passing context: inout Context, _ body: (FrameMatcher, inout Context) -> Result
    ) -> Result {
        withFrame(at: index) { query in
            mirror.values.withUnsafeBufferPointer { mirrored in
                restored.withUnsafeBufferPointer { restored in
                    appended.withUnsafeBufferPointer { appended in
                        body(
                            FrameMatcher(
                                mirror: mirrored.baseAddress!, stride: mirror.stride, search: freshSearch,
                                targetsAreSeparated: targetsAreSeparated,
                                restored: restored.baseAddress, restoredCount: restoredCount,
                                appended: appended.baseAddress, query: query, queryIndex: index,
                                dimension: dimension, threshold: threshold),
                            &context)
                    }
                }
            }
        }
    }

    /// The first state of the label whose representative is nearest to the stored frame at `index` (mirrored)
    /// with a distance strictly below the threshold (the first label on a tie), exactly as a scan of every
    /// representative in label order decides.
    ///
    /// Mutating only so that nothing is copied: the index and the representatives are moved out for the search and
    /// back (a copy of either, or of the store, costs reference counting on their arrays).
    mutating func nearestRepresentativeState(toFrameAt index: Int) -> Int? {
        // A distance is never below 0, so nothing matches (spec §2).
        guard threshold > 0 else { return nil }
        var context = (index: self.index.take(), states: representativeStates)
        representativeStates = []
        let normBound = mirror.normBound
        let state = withMatcher(forFrameAt: index, passing: &context) { matcher, context in
            matcher.nearestRepresentativeState(states: context.states, index: &context.index, normBound: normBound)
        }
        (self.index, representativeStates) = context
        return state
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
/// transition order on a tie (vmo's `argmin`), decided by `MirroredNearestSearch`.
///
/// Holds pointers only, so that making one per state costs no reference counting; valid inside
/// `FrameStore.withMatcher` only. The root's targets are searched by `FrameStore.nearestRepresentativeState`.
struct FrameMatcher: TransitionMatcher {
    /// The mirrored frames: frame of state `s` from `mirror[(s - 1) * stride]`.
    let mirror: UnsafePointer<Float>
    /// Floats per mirrored frame.
    let stride: Int
    /// A search with no candidate yet, for this query.
    let search: MirroredNearestSearch
    /// See `FrameStore.targetsAreSeparated`.
    let targetsAreSeparated: Bool
    /// The restored frames, contiguous (nil when there are none): frame of state `s <= restoredCount` from
    /// `restored[(s - 1) * dimension]`.
    let restored: UnsafePointer<Double>?
    /// Number of restored frames.
    let restoredCount: Int
    /// The appended frames (nil when there are none): frame of state `s > restoredCount` at
    /// `appended[s - 1 - restoredCount]`.
    let appended: UnsafePointer<[Double]>?
    /// The frame being added.
    let query: UnsafePointer<Double>
    /// Its index.
    let queryIndex: Int
    /// Features per frame.
    let dimension: Int
    /// Distances must be strictly below this to match.
    let threshold: Double

    func matchingTarget(from source: Int, targets: TransitionTargets, nodes: UnsafeBufferPointer<StateNode>) -> Int? {
        // A distance is never below 0, so nothing matches (spec §2).
        guard threshold > 0 else { return nil }
        var search = search
        let query = mirror + queryIndex &* stride
        for target in targets {
            let estimate = mirroredSquaredDistance(
                query, mirror + (target &- 1) &* stride, stride: stride, unlessAbove: search.skipLimit)
            search.consider(target, estimate: estimate, distance: distance(to:))
            // The remaining targets are at least the threshold away from a best nearer than half of it.
            if search.isDecisive && targetsAreSeparated { break }
        }
        return search.best
    }

    /// The first state of the label whose representative is nearest to the query with a distance strictly below
    /// the threshold (the first label on a tie); `states` are the representatives, `index` their index if any
    /// (inout only so that it is not copied), `normBound` at least the norm of every mirrored frame.
    func nearestRepresentativeState(states: [Int], index: inout RepresentativeIndex?, normBound: Double) -> Int? {
        var search = search
        let query = mirror + queryIndex &* stride
        let label = states.withUnsafeBufferPointer { states -> Int? in
            if index != nil {
                return index!.nearest(
                    to: self.query, mirrored: query, normBound: normBound, search: &search,
                    distance: { distance(to: states[$0]) })
            }
            for (label, state) in states.enumerated() {
                let estimate = mirroredSquaredDistance(
                    query, mirror + (state &- 1) &* stride, stride: stride, unlessAbove: search.skipLimit)
                search.consider(label, estimate: estimate) { distance(to: states[$0]) }
            }
            return search.best
        }
        return label.map { states[$0] }
    }

    /// The distance from the query to the frame of `state`, summed in order.
    private func distance(to state: Int) -> Double {
        let index = state &- 1
        if index < restoredCount {
            return euclideanDistance(query, restored.unsafelyUnwrapped + index &* dimension, count: dimension)
        }
        return appended.unsafelyUnwrapped[index &- restoredCount].withUnsafeBufferPointer { frame in
            euclideanDistance(query, frame.baseAddress!, count: dimension)
        }
    }
}
