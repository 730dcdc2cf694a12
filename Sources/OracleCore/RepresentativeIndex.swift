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
/// Members of a surviving group are stored transposed in blocks of four, so four distances are summed at once; each
/// lane subtracts, squares and adds the same values in the same order as the scalar kernel (no fused multiply-add),
/// and takes the same correctly rounded square root, so every distance is bit-identical to the scan's.
struct RepresentativeIndex: Sendable {
    /// Labels needed before the index pays for itself; fewer are scanned.
    static let minimumLabelCount = 32
    /// Group radius as a multiple of the threshold: wide enough that a cluster of frames forms one group, narrow
    /// enough that distinct clusters are skipped.
    static let groupRadiusFactor = 4.0
    /// Largest dimension for which the 2^-30 margin is proven to cover rounding (dimension × 2^-53 ≪ 2^-30).
    static let maximumDimension = 1 << 20

    typealias Lanes = SIMD4<Double>

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

    /// The members of one group: labels ascending, frames transposed (block `b`, feature `f`, lane `l` at
    /// `(b * dimension + f) * 4 + l`, one lane per member; unused lanes hold +infinity, which never matches).
    /// Plain Doubles rather than SIMD elements, whose metadata would cost a conformance scan on first use.
    private struct Group: Sendable {
        var labels: [Int] = []
        var lanes: [Double] = []
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
        for feature in 0..<dimension {
            groups[chosen].lanes[start + feature * Lanes.scalarCount] = frame[feature]
        }
    }

    /// The label nearest to `query` strictly below the threshold (the first label on a tie), and its distance.
    func nearest(to query: UnsafePointer<Double>) -> Int? {
        var bestLabel = -1
        var bestDistance = threshold
        var limit = safeSquare(threshold)
        centres.withUnsafeBufferPointer { centres in
            for group in 0..<radii.count
            where !partialSumExceeds(
                query, centres.baseAddress! + group * dimension, count: dimension, limit: skipLimits[group])
            {
                let members = groups[group].labels
                groups[group].lanes.withUnsafeBufferPointer { lanes in
                    var start = 0
                    var block = UnsafeRawPointer(lanes.baseAddress!)
                    while start < members.count {
                        if let distances = Self.blockDistances(query, block, count: dimension, unlessAbove: limit) {
                            for lane in 0..<min(Lanes.scalarCount, members.count - start) {
                                let distance = distances[lane]
                                let label = members[start + lane]
                                // Members are visited group by group, so equal distances go to the lower label.
                                if distance < bestDistance || (distance == bestDistance && label < bestLabel) {
                                    bestLabel = label
                                    bestDistance = distance
                                    limit = safeSquare(distance)
                                }
                            }
                        }
                        start += Lanes.scalarCount
                        block += dimension * MemoryLayout<Lanes>.stride
                    }
                }
            }
        }
        return bestLabel >= 0 ? bestLabel : nil
    }

    /// The four distances from `query` to the lanes of one block, or nil once every lane's partial sum exceeds
    /// `limit` (none of them can then be below the bound `limit` was made from).
    @inline(__always)
    private static func blockDistances(
        _ query: UnsafePointer<Double>, _ block: UnsafeRawPointer, count: Int, unlessAbove limit: Double
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
        return sums.squareRoot()
    }
}

/// Whether the sum of squared differences of `count` values, added in order, exceeds `limit` at some point.
@inline(__always)
func partialSumExceeds(
    _ first: UnsafePointer<Double>, _ second: UnsafePointer<Double>, count: Int, limit: Double
) -> Bool {
    var sum = 0.0
    for index in 0..<count {
        let difference = first[index] - second[index]
        sum += difference * difference
        if sum > limit { return true }
    }
    return false
}
