/// Exact search of the label representatives for the root step of the construction walk, for oracles with many
/// labels: the representative nearest to the new frame with a distance strictly below the threshold, the first
/// label on a tie, exactly what a scan of every representative in label order returns.
///
/// Representatives are grouped around centres (leader clustering: a representative joins the nearest centre closer
/// than `groupRadius`, or starts a group). By the triangle inequality a group whose centre is at least its reach
/// (radius plus threshold) away from the query holds no match and is skipped whole. The reach keeps a relative
/// margin of 2^-30 (plus a tiny absolute one), far above the rounding error of the computed distances (about
/// dimension × 2^-53), so no representative whose computed distance is below the threshold is ever skipped.
///
/// The skip test is made with single-precision estimates from copies of the centres laid out as the mirror's
/// frames (see `centreSkipLimit(reach:)` for its margin), or in Float64 where that margin is not proven. Members of
/// a surviving group are stored transposed in single precision, in blocks of eight, so eight estimates are summed at
/// once; `MirroredNearestSearch` decides with them, or with in-order Float64 sums near a tie. Everything lives in a
/// few flat arrays (blocks of all groups in one pool, linked per group): a search retains nothing.
struct RepresentativeIndex: Sendable {
    /// Labels needed before the index pays for itself; fewer are scanned.
    static let minimumLabelCount = 32
    /// Group radius as a multiple of the threshold: wide enough that a cluster of frames forms one group, narrow
    /// enough that distinct clusters are skipped.
    static let groupRadiusFactor = 4.0
    /// Largest dimension for which the 2^-30 margin is proven to cover rounding (dimension × 2^-53 ≪ 2^-30).
    static let maximumDimension = 1 << 20

    typealias Lanes = SIMD8<Float>

    /// Features per frame.
    let dimension: Int
    /// Distances must be strictly below this to match.
    let threshold: Double
    /// A representative joins a group when its centre is closer than this.
    let groupRadius: Double
    /// Centre frame of every group, contiguous.
    private var centres: [Double] = []
    /// The centres in single precision as `FrameMirror` holds them: group `g` from `centreFloats[g * mirrorStride]`.
    private var centreFloats: [Float] = []
    /// Floats per mirrored frame (zero padding after the features).
    private let mirrorStride: Int
    /// Per group: a single-precision estimate of the squared distance from the query to the centre above this proves
    /// the group holds no match, for frames of norms at most `limitsNormBound` (meaningless where
    /// `limitsAreProven` is false).
    private var centreSkipLimits: [Float] = []
    /// The norm bound `centreSkipLimits` were made for (NaN before the first search).
    private var limitsNormBound = Double.nan
    /// Whether the single-precision margins hold for `limitsNormBound` and `dimension`; otherwise the Float64 test
    /// decides every group.
    private var limitsAreProven = false
    /// `A` and `1 / (1 - R)` of `centreSkipLimit(reach:)` for `limitsNormBound`.
    private var absoluteMargin = 0.0
    private var aboveFactor = 1.0
    /// Every group's radius, reach and members.
    private var groups: [Group] = []
    /// Members of all groups in blocks of eight: frames transposed in single precision (block `b`, feature `f`,
    /// lane `l` at `(b * dimension + f) * 8 + l`, one lane per member; unused lanes hold +infinity, which never
    /// matches). Plain Floats rather than SIMD elements, whose metadata would cost a conformance scan on first use.
    private var memberLanes: [Float] = []
    /// The label of block `b`'s lane `l` at `b * 8 + l`.
    private var memberLabels: [Int] = []
    /// The next block of the same group, or -1 after its last.
    private var nextBlocks: [Int] = []

    /// One group: radius, reach and where its members are (labels ascending, block by block).
    private struct Group {
        /// Largest computed distance from the centre to a member.
        var radius = 0.0
        /// A distance from the query to the centre of at least this proves the group holds no match.
        var reach = 0.0
        /// A partial squared Float64 distance to the centre above this proves it.
        var squaredReach = 0.0
        var firstBlock = -1
        var lastBlock = -1
        var memberCount = 0
    }

    /// An empty index; `insert(label:frame:mirrored:)` adds the representatives in label order.
    init(dimension: Int, threshold: Double) {
        self.dimension = dimension
        self.threshold = threshold
        groupRadius = Self.groupRadiusFactor * threshold
        mirrorStride = (dimension + Lanes.scalarCount - 1) / Lanes.scalarCount * Lanes.scalarCount
    }

    /// Whether an index can be used for frames of `dimension` features and `threshold`.
    static func isApplicable(dimension: Int, threshold: Double) -> Bool {
        dimension <= maximumDimension && threshold > 0 && threshold.isFinite
    }

    /// Floats per block of eight lanes.
    private var blockStride: Int { dimension &* Lanes.scalarCount }

    /// Adds the representative of `label`, the next label: `frame`, whose single-precision copy is `mirrored`.
    mutating func insert(label: Int, frame: UnsafePointer<Double>, mirrored: UnsafePointer<Float>) {
        // Any grouping is exact (a group's radius is what the skip test relies on): the nearest centre is chosen by
        // its estimate where estimates are proven finite, and only the distance to it is summed in order.
        var chosen = -1
        var chosenDistance = groupRadius
        if limitsAreProven {
            var chosenEstimate = Float(groupRadius * groupRadius)
            let stride = mirrorStride
            centreFloats.withUnsafeBufferPointer { centres in
                for group in 0..<groups.count {
                    let estimate = mirroredSquaredDistance(
                        mirrored, centres.baseAddress! + group &* stride, stride: stride,
                        unlessAbove: Double(chosenEstimate))
                    if estimate < chosenEstimate {
                        chosen = group
                        chosenEstimate = estimate
                    }
                }
            }
            if chosen >= 0 {
                chosenDistance = centres.withUnsafeBufferPointer { centres in
                    euclideanDistance(frame, centres.baseAddress! + chosen &* dimension, count: dimension)
                }
            }
        } else {
            centres.withUnsafeBufferPointer { centres in
                for group in 0..<groups.count {
                    let distance = euclideanDistance(
                        frame, centres.baseAddress! + group &* dimension, count: dimension,
                        unlessAtLeast: chosenDistance)
                    if distance < chosenDistance {
                        chosen = group
                        chosenDistance = distance
                    }
                }
            }
        }
        if chosen < 0 {
            chosen = groups.count
            chosenDistance = 0
            addGroup(centre: frame)
        }
        var group = groups[chosen]
        group.radius = max(group.radius, chosenDistance)
        group.reach = (group.radius + threshold) * (1 + 0x1p-30) + 0x1p-300
        group.squaredReach = safeSquare(group.reach)
        if limitsAreProven {
            centreSkipLimits[chosen] = centreSkipLimit(reach: group.reach)
        }
        let lane = group.memberCount % Lanes.scalarCount
        if lane == 0 {
            let block = nextBlocks.count
            nextBlocks.append(-1)
            memberLabels.append(contentsOf: repeatElement(-1, count: Lanes.scalarCount))
            memberLanes.append(contentsOf: repeatElement(.infinity, count: blockStride))
            if group.lastBlock < 0 {
                group.firstBlock = block
            } else {
                nextBlocks[group.lastBlock] = block
            }
            group.lastBlock = block
        }
        memberLabels[group.lastBlock &* Lanes.scalarCount &+ lane] = label
        Self.store(frame, count: dimension, into: &memberLanes, at: group.lastBlock &* blockStride &+ lane)
        group.memberCount += 1
        groups[chosen] = group
    }

    /// Starts a group around `centre`.
    private mutating func addGroup(centre: UnsafePointer<Double>) {
        let group = groups.count
        groups.append(Group())
        centres.append(contentsOf: UnsafeBufferPointer(start: centre, count: dimension))
        centreSkipLimits.append(-.infinity)
        centreFloats.append(contentsOf: repeatElement(0, count: mirrorStride))
        Self.store(centre, count: dimension, into: &centreFloats, at: group &* mirrorStride, step: 1)
    }

    /// Writes `frame` in single precision into `lanes` from `start`, one value every `step` floats.
    private static func store(
        _ frame: UnsafePointer<Double>, count: Int, into lanes: inout [Float], at start: Int,
        step: Int = Lanes.scalarCount
    ) {
        lanes.withUnsafeMutableBufferPointer { lanes in
            for feature in 0..<count {
                lanes[start &+ feature &* step] = Float(frame[feature])
            }
        }
    }

    /// The single-precision limit above which an estimate `s` of the squared distance from the query to a centre
    /// proves the distance `D` is above `reach`.
    ///
    /// `MirroredNearestSearch` proves `|D - √s| ≤ R√s + A` for `s` summed in single precision in any order from the
    /// rounded frames, with `R = (n + 2)·2^-23` and `A = 2^-22·N + 2^-60` (`n` features, norms at most `N`, within
    /// `FrameMirror`'s proven range). So `D ≥ √s(1 - R) - A`, above `reach` once `s > ((reach + A) / (1 - R))²`.
    /// The square is rounded up by 2^-44 (a few Float64 roundings) and the conversion by 2^-20.
    private func centreSkipLimit(reach: Double) -> Float {
        let root = (reach + absoluteMargin) * aboveFactor
        return Float(root * root * (1 + 0x1p-44)) * (1 + 0x1p-20)
    }

    /// Makes the centres' single-precision limits for frames of norms at most `normBound`.
    private mutating func makeCentreSkipLimits(normBound: Double) {
        limitsNormBound = normBound
        limitsAreProven = dimension <= FrameMirror.maximumDimension && normBound <= FrameMirror.maximumNorm
        guard limitsAreProven else { return }
        absoluteMargin = normBound * 0x1p-22 + 0x1p-60
        aboveFactor = 1 / (1 - Double(dimension + 2) * 0x1p-23)
        for group in groups.indices {
            centreSkipLimits[group] = centreSkipLimit(reach: groups[group].reach)
        }
    }

    /// The label nearest to `query` strictly below the threshold (the first label on a tie), searched with
    /// `search` (fresh); `mirrored` is the query's single-precision copy, `normBound` at least the norm of every
    /// frame mirrored (the query and the representatives), and `distance` gives a label's representative's
    /// distance to the query summed in order. Mutating only to remake the centres' limits when `normBound` grows.
    mutating func nearest(
        to query: UnsafePointer<Double>, mirrored: UnsafePointer<Float>, normBound: Double,
        search: inout MirroredNearestSearch, distance: (Int) -> Double
    ) -> Int? {
        if normBound.bitPattern != limitsNormBound.bitPattern { makeCentreSkipLimits(normBound: normBound) }
        let dimension = dimension
        let blockStride = blockStride
        let groupCount = groups.count
        let limitsAreProven = limitsAreProven
        let stride = mirrorStride
        groups.withUnsafeBufferPointer { groups in
            memberLanes.withUnsafeBufferPointer { memberLanes in
                memberLabels.withUnsafeBufferPointer { memberLabels in
                    nextBlocks.withUnsafeBufferPointer { nextBlocks in
                        let lanes = UnsafeRawPointer(memberLanes.baseAddress!)
                        // Members are visited group by group, so a lower label wins a tie.
                        func scan(_ group: Group) {
                            var block = group.firstBlock
                            var remaining = group.memberCount
                            while remaining > 0 {
                                let limit = search.floatSkipLimit
                                if let estimates = Self.blockEstimates(
                                    mirrored, lanes + block &* blockStride &* MemoryLayout<Float>.stride,
                                    count: dimension, unlessAbove: Lanes(repeating: limit))
                                {
                                    // Lanes above the limit cannot beat the best of now, nor any later one (unused
                                    // lanes are infinite): only the others are compared.
                                    let candidates = estimates .<= limit
                                    for lane in 0..<min(Lanes.scalarCount, remaining) where candidates[lane] {
                                        let label = memberLabels[block &* Lanes.scalarCount &+ lane]
                                        search.consider(
                                            label, estimate: estimates[lane], winsTies: label < search.best ?? .max,
                                            distance: distance)
                                    }
                                }
                                remaining &-= Lanes.scalarCount
                                block = nextBlocks[block]
                            }
                        }
                        if limitsAreProven {
                            centreFloats.withUnsafeBufferPointer { centreFloats in
                                centreSkipLimits.withUnsafeBufferPointer { limits in
                                    for group in 0..<groupCount {
                                        let limit = limits[group]
                                        let estimate = mirroredSquaredDistance(
                                            mirrored, centreFloats.baseAddress! + group &* stride, stride: stride,
                                            unlessAbove: Double(limit))
                                        if estimate <= limit { scan(groups[group]) }
                                    }
                                }
                            }
                        } else {
                            centres.withUnsafeBufferPointer { centres in
                                for group in 0..<groupCount
                                where !squareSumExceeds(
                                    query, centres.baseAddress! + group &* dimension, count: dimension,
                                    limit: groups[group].squaredReach)
                                {
                                    scan(groups[group])
                                }
                            }
                        }
                    }
                }
            }
        }
        return search.best
    }

    /// The single-precision sums of squared differences from `query` to the lanes of one block (each lane summed
    /// in order), or nil once every lane's partial sum exceeds its `limit` (every lane only grows).
    @inline(__always)
    private static func blockEstimates(
        _ query: UnsafePointer<Float>, _ block: UnsafeRawPointer, count: Int, unlessAbove limit: Lanes
    ) -> Lanes? {
        var sums = Lanes()
        var feature = 0
        var lanes = block
        while feature < count {
            let end = min(feature &+ 8, count)
            while feature < end {
                let difference = Lanes(repeating: query[feature]) - lanes.loadUnaligned(as: Lanes.self)
                sums += difference * difference
                lanes += MemoryLayout<Lanes>.stride
                feature &+= 1
            }
            if all(sums .> limit) { return nil }
        }
        return sums
    }
}

/// Whether the sum of squared differences of `count` values, added in some order, exceeds `limit`, tested every
/// eight terms: a computed sum, or a partial one, is within `count × 2^-53` (relative) of the exact one or below
/// it, far inside the 2^-30 margin of the limits it is compared with.
@inline(__always)
func squareSumExceeds(
    _ first: UnsafePointer<Double>, _ second: UnsafePointer<Double>, count: Int, limit: Double
) -> Bool {
    typealias Quad = SIMD4<Double>
    var low = Quad()
    var high = Quad()
    var feature = 0
    while feature &+ 2 &* Quad.scalarCount <= count {
        let lowDifference: Quad =
            UnsafeRawPointer(first + feature).loadUnaligned(as: Quad.self)
            - UnsafeRawPointer(second + feature).loadUnaligned(as: Quad.self)
        let next = feature &+ Quad.scalarCount
        let highDifference: Quad =
            UnsafeRawPointer(first + next).loadUnaligned(as: Quad.self)
            - UnsafeRawPointer(second + next).loadUnaligned(as: Quad.self)
        low += lowDifference * lowDifference
        high += highDifference * highDifference
        feature &+= 2 &* Quad.scalarCount
        let sums = low + high
        if (sums[0] + sums[1]) + (sums[2] + sums[3]) > limit { return true }
    }
    let sums = low + high
    var sum = (sums[0] + sums[1]) + (sums[2] + sums[3])
    while feature < count {
        let difference = first[feature] - second[feature]
        sum += difference * difference
        feature &+= 1
    }
    return sum > limit
}
