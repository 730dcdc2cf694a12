/// Exact search of the label representatives for the root step of the construction walk, for oracles with many
/// labels: the representative nearest to the new frame with a distance strictly below the threshold, the first
/// label on a tie, exactly what a scan of every representative in label order returns.
///
/// Representatives are grouped around centres (leader clustering: a representative joins the nearest centre closer
/// than `groupRadius`, or starts a group). By the triangle inequality a group whose centre is at least its radius
/// plus the threshold away from the query holds no match and is skipped whole. The test keeps a relative margin of
/// 2^-30 (plus a tiny absolute one), far above the rounding error of the computed distances (about dimension ×
/// 2^-53), so no representative whose computed distance is below the threshold is ever skipped.
///
/// Members of a surviving group are stored transposed in single precision, in blocks of eight, so eight estimates
/// are summed at once; `MirroredNearestSearch` decides with them, or with in-order Float64 sums near a tie.
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
    /// Largest computed distance from each group's centre to its members.
    private var radii: [Double] = []
    /// Per group: a partial squared distance to the centre above this proves the group holds no match.
    private var skipLimits: [Double] = []
    /// Members of every group.
    private var groups: [Group] = []

    /// The members of one group: labels ascending, frames transposed in single precision (block `b`, feature `f`,
    /// lane `l` at `(b * dimension + f) * 8 + l`, one lane per member; unused lanes hold +infinity, which never
    /// matches). Plain Floats rather than SIMD elements, whose metadata would cost a conformance scan on first use.
    private struct Group: Sendable {
        var labels: [Int] = []
        var lanes: [Float] = []
    }

    /// An empty index; `insert(label:frame:)` adds the representatives in label order.
    init(dimension: Int, threshold: Double) {
        self.dimension = dimension
        self.threshold = threshold
        groupRadius = Self.groupRadiusFactor * threshold
    }

    /// Whether an index can be used for frames of `dimension` features and `threshold`.
    static func isApplicable(dimension: Int, threshold: Double) -> Bool {
        dimension <= maximumDimension && threshold > 0 && threshold.isFinite
    }

    /// Adds the representative of `label`, the next label.
    mutating func insert(label: Int, frame: UnsafePointer<Double>) {
        var chosen = -1
        var chosenDistance = groupRadius
        centres.withUnsafeBufferPointer { centres in
            for group in 0..<radii.count {
                let distance = euclideanDistance(
                    frame, centres.baseAddress! + group * dimension, count: dimension, unlessAtLeast: chosenDistance)
                if distance < chosenDistance {
                    chosen = group
                    chosenDistance = distance
                }
            }
        }
        if chosen < 0 {
            chosen = radii.count
            chosenDistance = 0
            centres.append(contentsOf: UnsafeBufferPointer(start: frame, count: dimension))
            radii.append(0)
            skipLimits.append(0)
            groups.append(Group())
        }
        radii[chosen] = max(radii[chosen], chosenDistance)
        let reach = (radii[chosen] + threshold) * (1 + 0x1p-30) + 0x1p-300
        skipLimits[chosen] = safeSquare(reach)

        let slot = groups[chosen].labels.count
        groups[chosen].labels.append(label)
        if slot % Lanes.scalarCount == 0 {
            groups[chosen].lanes.append(contentsOf: repeatElement(.infinity, count: dimension * Lanes.scalarCount))
        }
        let start = slot / Lanes.scalarCount * dimension * Lanes.scalarCount + slot % Lanes.scalarCount
        let features = dimension
        groups[chosen].lanes.withUnsafeMutableBufferPointer { lanes in
            for feature in 0..<features {
                lanes[start &+ feature &* Lanes.scalarCount] = Float(frame[feature])
            }
        }
    }

    /// The label nearest to `query` strictly below the threshold (the first label on a tie), searched with
    /// `search` (fresh); `mirrored` is the query's single-precision copy and `distance` gives a label's
    /// representative's distance to the query summed in order.
    func nearest(
        to query: UnsafePointer<Double>, mirrored: UnsafePointer<Float>, search: inout MirroredNearestSearch,
        distance: (Int) -> Double
    ) -> Int? {
        centres.withUnsafeBufferPointer { centres in
            for group in 0..<radii.count
            where !squareSumExceeds(
                query, centres.baseAddress! + group * dimension, count: dimension, limit: skipLimits[group])
            {
                groups[group].labels.withUnsafeBufferPointer { members in
                    groups[group].lanes.withUnsafeBufferPointer { lanes in
                        var start = 0
                        var block = UnsafeRawPointer(lanes.baseAddress!)
                        while start < members.count {
                            let limit = search.floatSkipLimit
                            if let estimates = Self.blockEstimates(
                                mirrored, block, count: dimension, unlessAbove: limit)
                            {
                                // Lanes above the limit cannot beat the best of now, nor any later one (unused lanes
                                // are infinite): only the others are compared.
                                let candidates = estimates .<= limit
                                for lane in 0..<min(Lanes.scalarCount, members.count - start) where candidates[lane] {
                                    let label = members[start + lane]
                                    // Members are visited group by group, so a lower label wins a tie.
                                    search.consider(
                                        label, estimate: estimates[lane], winsTies: label < search.best ?? .max,
                                        distance: distance)
                                }
                            }
                            start += Lanes.scalarCount
                            block += dimension * MemoryLayout<Lanes>.stride
                        }
                    }
                }
            }
        }
        return search.best
    }

    /// The single-precision sums of squared differences from `query` to the lanes of one block (each lane summed
    /// in order), or nil once every lane's partial sum exceeds `limit` (every lane only grows).
    @inline(__always)
    private static func blockEstimates(
        _ query: UnsafePointer<Float>, _ block: UnsafeRawPointer, count: Int, unlessAbove limit: Float
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
