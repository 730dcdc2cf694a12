/// Single-precision copies of the stored frames, contiguous and zero-padded to a multiple of `Lanes.scalarCount`
/// features, which decide every comparison of the construction that is not near a tie (`MirroredNearestSearch`):
/// half the bytes of the frames, read from one array instead of one per frame, and twice the lanes per vector
/// operation.
struct FrameMirror: Sendable {
    typealias Lanes = SIMD8<Float>

    /// Largest dimension for which `MirroredNearestSearch`'s margins are proven (`dimension × 2^-24 ≤ 2^-8`).
    static let maximumDimension = 1 << 16
    /// Largest frame norm for which no single-precision square or sum can overflow (`(2 × 2^60)² × (1 + 2^-8)`).
    static let maximumNorm = 0x1p60

    /// Features per frame.
    let dimension: Int
    /// Floats per frame: `dimension` rounded up to a multiple of `Lanes.scalarCount`; the padding is zero.
    let stride: Int
    /// Frame `i` from `values[i * stride]`, for `i < count`; zeros after them, room for frames to come.
    private(set) var values: [Float] = []
    /// Number of mirrored frames.
    private(set) var count = 0
    /// At least the Euclidean norm of every mirrored frame; +infinity when a norm overflows.
    private(set) var normBound = 0.0
    /// The largest computed sum of squares of a mirrored frame, which `normBound` is made from.
    private var largestSquareSum = 0.0

    /// An empty mirror for frames of `dimension` features.
    init(dimension: Int) {
        self.dimension = dimension
        stride = (dimension + Lanes.scalarCount - 1) / Lanes.scalarCount * Lanes.scalarCount
    }

    /// Makes room for `additionalFrames` more frames, at least doubling the room when it grows (repeated small
    /// reservations stay linear overall).
    mutating func reserveCapacity(additionalFrames: Int) {
        let needed = (count + max(0, additionalFrames)) * stride
        guard needed > values.count else { return }
        // A zeroed array and one copy: both are bulk memory operations, where appending zeros is a loop.
        var grown = [Float](repeating: 0, count: max(needed, 2 * values.count))
        let used = count * stride
        if used > 0 {
            grown.withUnsafeMutableBufferPointer { grown in
                values.withUnsafeBufferPointer { values in
                    grown.baseAddress!.update(from: values.baseAddress!, count: used)
                }
            }
        }
        values = grown
    }

    /// Appends copies of the `count` frames held contiguously from `frames` in order, up to the first that does not
    /// have `dimension` finite values; returns its position (nothing of it is appended), or nil. One pass.
    mutating func append(contiguous frames: UnsafePointer<Double>, count frameCount: Int) -> Int? {
        reserveCapacity(additionalFrames: frameCount)
        let (dimension, stride) = (dimension, stride)
        for position in 0..<frameCount {
            let frame = frames + position &* dimension
            let start = count &* stride
            let squareSum = values.withUnsafeMutableBufferPointer { values in
                Self.copy(frame, to: values.baseAddress! + start, count: dimension)
            }
            if !appendCopied(frame, squareSum: squareSum) { return position }
        }
        return nil
    }

    /// Appends copies of `frames` in order, up to the first that does not have `dimension` finite values; returns
    /// its position in `frames` (nothing of it is appended), or nil. One pass over each frame.
    mutating func append(_ frames: UnsafeBufferPointer<[Double]>) -> Int? {
        reserveCapacity(additionalFrames: frames.count)
        let (dimension, stride) = (dimension, stride)
        for position in frames.indices {
            // Read in place: a copy of the frame array would cost reference counting.
            let appended = (frames.baseAddress.unsafelyUnwrapped + position).pointee.withUnsafeBufferPointer {
                frame in
                guard frame.count == dimension else { return false }
                let start = count &* stride
                let squareSum = values.withUnsafeMutableBufferPointer { values in
                    Self.copy(frame.baseAddress!, to: values.baseAddress! + start, count: dimension)
                }
                return appendCopied(frame.baseAddress!, squareSum: squareSum)
            }
            if !appended { return position }
        }
        return nil
    }

    /// Counts the frame just copied into the next slot, whose sum of squares is `squareSum`, unless one of its values
    /// is infinite or NaN: false then, with its slot zeroed again (the padding of every slot must stay zero).
    @inline(__always)
    private mutating func appendCopied(_ frame: UnsafePointer<Double>, squareSum: Double) -> Bool {
        let dimension = dimension
        // An infinite or NaN value makes the sum of squares infinite or NaN; so does a finite one whose square
        // overflows, which the exact test tells apart (rare).
        guard squareSum.isFinite || (0..<dimension).allSatisfy({ frame[$0].isFinite }) else {
            let start = count &* stride
            values.withUnsafeMutableBufferPointer { values in
                (values.baseAddress! + start).update(repeating: 0, count: dimension)
            }
            return false
        }
        count &+= 1
        if squareSum > largestSquareSum {
            largestSquareSum = squareSum
            // The computed sum is within `dimension × 2^-53` (relative) of the exact one, far inside 2^-30; an
            // underflowed sum is covered by the search's absolute margin; an overflowed one is +infinity.
            normBound = squareSum.squareRoot() * (1 + 0x1p-30)
        }
        return true
    }

    /// Writes the single-precision copy of `count` values of `frame` (each rounded to nearest) to `mirrored`, and
    /// returns their sum of squares in some order.
    @inline(__always)
    private static func copy(_ frame: UnsafePointer<Double>, to mirrored: UnsafeMutablePointer<Float>, count: Int)
        -> Double
    {
        typealias Quad = SIMD4<Double>
        var squares = Quad()
        var feature = 0
        while feature &+ Quad.scalarCount <= count {
            let quad = UnsafeRawPointer(frame + feature).loadUnaligned(as: Quad.self)
            squares += quad * quad
            UnsafeMutableRawPointer(mirrored + feature).storeBytes(of: SIMD4<Float>(quad), as: SIMD4<Float>.self)
            feature &+= Quad.scalarCount
        }
        var squareSum = (squares[0] + squares[1]) + (squares[2] + squares[3])
        while feature < count {
            let value = frame[feature]
            squareSum += value * value
            mirrored[feature] = Float(value)
            feature &+= 1
        }
        return squareSum
    }
}

/// The sum of the squared differences of two mirrored frames (`stride` floats each, a multiple of
/// `FrameMirror.Lanes.scalarCount`), in single precision in some order, or a partial sum above `limit` once one is:
/// every lane only grows and so does their sum, so the full sum is above `limit` too.
@inline(__always)
func mirroredSquaredDistance(
    _ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>, stride: Int, unlessAbove limit: Double
) -> Float {
    typealias Lanes = FrameMirror.Lanes
    // The first vector alone decides most far frames (one cache line read); then blocks of four vectors between
    // tests: at the usual dimensions the rest of the frame is one block.
    let head =
        UnsafeRawPointer(first).loadUnaligned(as: Lanes.self) - UnsafeRawPointer(second).loadUnaligned(as: Lanes.self)
    var sums = head * head
    var sum = lanesSum(sums)
    var feature = Lanes.scalarCount
    let block = 4 &* Lanes.scalarCount
    while feature < stride && Double(sum) <= limit {
        let end = min(feature &+ block, stride)
        while feature < end {
            let difference =
                UnsafeRawPointer(first + feature).loadUnaligned(as: Lanes.self)
                - UnsafeRawPointer(second + feature).loadUnaligned(as: Lanes.self)
            sums += difference * difference
            feature &+= Lanes.scalarCount
        }
        sum = lanesSum(sums)
    }
    return sum
}

/// The sum of eight lanes.
@inline(__always)
func lanesSum(_ lanes: FrameMirror.Lanes) -> Float {
    let half = lanes.lowHalf + lanes.highHalf
    return (half[0] + half[1]) + (half[2] + half[3])
}

/// The candidate nearest to a query frame with a Euclidean distance strictly below the threshold, the first one on
/// a tie: exactly what comparing every candidate's distance, summed in order in Float64 like vmo, decides, but with
/// almost every comparison decided by a single-precision estimate from the mirror.
///
/// The bound. Let `q`, `f` be the Float64 frames (`n` features, norms at most `N`), `D` the exact distance,
/// `D64` vmo's (in-order Float64 sum, square root), `s` the single-precision sum from the mirror and `u = 2^-24`.
/// Rounding the inputs moves each by at most `u|x| + 2^-150` (subnormals); a subtraction is within `u` (relative),
/// so the vector of computed differences is within `(1 + u)(2uN + 2√n·2^-150) + uD` of `q - f` (triangle
/// inequality), and so is its norm of `D`. The squares and their sum in any order are within
/// `γₙ = nu/(1 - nu)` (relative) plus `n·2^-149` from underflow, so `√s` is within `γₙ` of that norm plus
/// `√n·2^-74.5`. `D64` is within `(n/2 + 1)·2^-53` of `D`. Hence `|D64 - √s| ≤ R√s + A` with the first-order
/// terms `R = (n + 2)u` and `A = 2uN`; the margins used, `R = (n + 2)·2^-23` and `A = 2^-22·N + 2^-60`, are
/// twice that and cover the second-order terms, the absolute underflow terms and the Float64 rounding of the
/// limits below, for `n ≤ 2^16` and `N ≤ 2^60` (`FrameMirror.decides`; otherwise every comparison is summed in
/// order).
///
/// A candidate whose interval `[√s(1 - R) - A, √s(1 + R) + A]` lies wholly below the best's (or below the
/// threshold) wins; one whose interval starts at or above the best's end (or the threshold) loses, ties included
/// (the first stays); anything else is decided by in-order sums, as vmo sums. Both tests compare `s` with a limit.
/// For a best known by its estimate `σ²` the limits avoid a square root: `σ ≤ (σ²/c + c)/2` for any `c > 0` (the
/// threshold is used) makes them linear in `σ²`, and only looser.
struct MirroredNearestSearch {
    /// Distances must be strictly below this to match.
    let threshold: Double
    /// False when the margins are not proven: every candidate is then summed in order.
    let decides: Bool
    /// `A` above.
    private let absoluteMargin: Double
    /// `1 / (1 + R)` and `1 / (1 - R)`.
    private let belowFactor: Double
    private let aboveFactor: Double
    /// Limits for a best with estimate `σ²`: beat below `σ²·beatSlope - beatOffset`, skip above
    /// `σ²·skipSlope + skipOffset`.
    private let beatSlope: Double
    private let beatOffset: Double
    private let skipSlope: Double
    private let skipOffset: Double
    /// The best candidate so far, or -1.
    private var bestCandidate = -1
    /// Its distance summed in order, or -1 while not needed.
    private var bestDistance = -1.0
    /// A candidate whose estimate is below this beats the best (or matches when there is none).
    private var beatLimit = -Double.infinity
    /// A candidate whose estimate (or a partial sum of it) is above this cannot beat the best or match.
    private(set) var skipLimit = Double.infinity
    /// A best whose estimate is below this, or whose in-order distance is below `decisiveDistance`, is nearer than
    /// half the threshold (see `isDecisive`).
    private let decisiveEstimate: Double
    private let decisiveDistance: Double
    /// Whether the best is provably nearer than half the threshold: then no candidate at least the threshold away
    /// from it (in vmo's distance) can beat it. With `δ = (n/2 + 1)·2^-53 ≤ 2^-31` the relative error of an
    /// in-order distance, a candidate `B` at least `t` from the best `A` has
    /// `D64(q, B) ≥ (t(1 - δ) - D(q, A))(1 - δ)`, above `D64(q, A)` when `D64(q, A)` (or the estimate's upper
    /// bound of it) is below `t/2·(1 - 2^-30)`.
    private(set) var isDecisive = false

    /// A search for frames of `dimension` features whose norms are at most `normBound`.
    init(threshold: Double, dimension: Int, normBound: Double) {
        self.threshold = threshold
        decides =
            dimension <= FrameMirror.maximumDimension && normBound <= FrameMirror.maximumNorm && threshold > 0
        let relative = Double(dimension + 2) * 0x1p-23
        let absolute = normBound * 0x1p-22 + 0x1p-60
        absoluteMargin = absolute
        belowFactor = 1 / (1 + relative)
        aboveFactor = 1 / (1 - relative)
        // The Float64 rounding of these constants and of the limits made from them (a few 2^-53 each) is covered by
        // nudging every constant by 2^-44 the safe way.
        let c = threshold
        let below = belowFactor * belowFactor
        let above = aboveFactor * aboveFactor
        beatSlope = ((1 - relative) * (1 - relative) - 2 * absolute * (1 - relative) / c) * below * (1 - 0x1p-44)
        beatOffset = 2 * absolute * c * (1 - relative) * below * (1 + 0x1p-44)
        skipSlope = ((1 + relative) * (1 + relative) + 2 * absolute * (1 + relative) / c) * above * (1 + 0x1p-44)
        skipOffset = (2 * absolute * c * (1 + relative) + 4 * absolute * absolute) * above * (1 + 0x1p-44)
        // Only where the margins are proven (`n ≤ 2^16`, far inside the `n ≤ 2^22` this needs).
        decisiveDistance = decides ? threshold / 2 * (1 - 0x1p-30) : -.infinity
        let decisiveRoot = (decisiveDistance - absolute) * belowFactor
        decisiveEstimate = decides && decisiveRoot > 0 ? decisiveRoot * decisiveRoot * (1 - 0x1p-44) : -.infinity
        if decides { setLimits(distance: threshold) }
    }

    /// The best candidate, or nil when none is below the threshold.
    var best: Int? { bestCandidate >= 0 ? bestCandidate : nil }

    /// A single-precision value at least `skipLimit`: a partial sum above it is above `skipLimit`.
    var floatSkipLimit: Float {
        // Float(x) is within 2^-24 of x and so is the product: (1 - 2^-24)²(1 + 2^-20) > 1.
        Float(skipLimit) * (1 + 0x1p-20)
    }

    /// Compares `candidate`, whose mirror estimate is `estimate`, with the best so far; candidates come in the order
    /// in which ties are broken. `distance` gives a candidate's distance summed in order.
    /// `winsTies`: whether the candidate comes before the best in tie order (false when candidates come in that order).
    @inline(__always)
    mutating func consider(_ candidate: Int, estimate: Float, winsTies: Bool = false, distance: (Int) -> Double) {
        let estimate = Double(estimate)
        if estimate > skipLimit { return }
        if estimate < beatLimit {
            bestCandidate = candidate
            bestDistance = -1
            isDecisive = estimate < decisiveEstimate
            beatLimit = estimate * beatSlope - beatOffset
            skipLimit = estimate * skipSlope + skipOffset
            return
        }
        considerInOrder(candidate, winsTies: winsTies, distance: distance)
    }

    /// A near-tie: decided by in-order sums.
    private mutating func considerInOrder(_ candidate: Int, winsTies: Bool, distance: (Int) -> Double) {
        let candidateDistance = distance(candidate)
        if bestCandidate < 0 {
            if candidateDistance < threshold { take(candidate, distance: candidateDistance) }
            return
        }
        if bestDistance < 0 {
            bestDistance = distance(bestCandidate)
            if decides { setLimits(distance: bestDistance) }
        }
        if candidateDistance < bestDistance || (winsTies && candidateDistance == bestDistance) {
            take(candidate, distance: candidateDistance)
        }
    }

    private mutating func take(_ candidate: Int, distance: Double) {
        bestCandidate = candidate
        bestDistance = distance
        isDecisive = distance < decisiveDistance
        if decides { setLimits(distance: distance) }
    }

    /// Limits for a best whose in-order distance is `distance` (or for the threshold).
    private mutating func setLimits(distance: Double) {
        // Beats: √s(1 + R) + A < distance. Loses: √s(1 - R) - A ≥ distance.
        let below = (distance - absoluteMargin) * belowFactor
        beatLimit = below > 0 ? below * below * (1 - 0x1p-44) : -.infinity
        let above = (distance + absoluteMargin) * aboveFactor
        skipLimit = above * above * (1 + 0x1p-44)
    }
}
