/// The thresholds a search tries, reproducing `numpy.arange(start, stop, step)` value for value.
public struct ThresholdGrid: Sendable, Equatable {
    /// First value.
    public let start: Double
    /// Exclusive upper bound.
    public let stop: Double
    /// Spacing.
    public let step: Double

    /// MusicHal's default search grid, `arange(0, 4, 0.05)`: 80 values.
    public static let musicHalDefault = ThresholdGrid(uncheckedStart: 0, stop: 4, step: 0.05)

    /// A grid from `start` (inclusive) to `stop` (exclusive) by `step`.
    ///
    /// - Throws: `OracleError.invalidThresholdGrid` unless the bounds are finite and >= 0, the step is positive
    ///   and the grid holds at least one value.
    public init(start: Double, stop: Double, step: Double) throws(OracleError) {
        guard start.isFinite, stop.isFinite, step.isFinite, start >= 0, step > 0, stop > start else {
            throw .invalidThresholdGrid(start: start, stop: stop, step: step)
        }
        self.init(uncheckedStart: start, stop: stop, step: step)
    }

    private init(uncheckedStart start: Double, stop: Double, step: Double) {
        self.start = start
        self.stop = stop
        self.step = step
    }

    /// Number of values: `ceil((stop - start) / step)`, as numpy computes it.
    public var count: Int {
        let quotient = (stop - start) / step
        let rounded = quotient.rounded(.up)
        return Int(rounded)
    }

    /// The values, accumulated like numpy: `start + i * delta` with `delta = (start + step) - start`.
    public var values: [Double] {
        let delta = (start + step) - start
        return (0..<count).map { index in index == 0 ? start : start + Double(index) * delta }
    }
}

/// Outcome of a threshold search: the best threshold and the whole score curve.
public struct ThresholdSearchResult: Sendable, Equatable {
    /// Threshold with the highest information-rate sum (the smallest one on a tie).
    public var threshold: Double
    /// Information-rate sum at `threshold`.
    public var irSum: Double
    /// Every threshold tried, in grid order.
    public var thresholds: [Double]
    /// Information-rate sum for every threshold tried.
    public var irSums: [Double]
    /// Number of labels of the oracle built at every threshold tried.
    public var labelCounts: [Int]
}

/// Builds one Variable Markov Oracle per grid value and returns the threshold whose oracle has the highest summed
/// information rate (vmo `find_threshold` with Euclidean distance, `ir_type='cum'`, `alpha = 1`).
///
/// The maximum is bumpy; treat the result as a starting value rather than a final choice.
/// - Throws: `OracleError.emptyInput`, `.dimensionMismatch` (against the first frame) or `.nonFiniteFeature`.
public func findThreshold(frames: [[Double]], grid: ThresholdGrid = .musicHalDefault) throws(OracleError)
    -> ThresholdSearchResult
{
    guard let first = frames.first else { throw .emptyInput }
    let dimension = first.count
    guard dimension >= 1 else { throw .invalidDimension(dimension) }
    for (index, frame) in frames.enumerated() {
        try VariableMarkovOracle.validate(frame, index: index, dimension: dimension)
    }

    // One contiguous matrix, shared by every oracle (nothing is copied per threshold), read in order.
    let matrix = frames.flatMap { $0 }
    let thresholds = grid.values
    var irSums: [Double] = []
    var labelCounts: [Int] = []
    irSums.reserveCapacity(thresholds.count)
    labelCounts.reserveCapacity(thresholds.count)
    for threshold in thresholds {
        var oracle = try VariableMarkovOracle(dimension: dimension, threshold: threshold)
        oracle.appendValidated(contiguousFrames: matrix)
        irSums.append(informationRate(lrs: oracle.lrs).sum)
        labelCounts.append(oracle.labelCount)
    }

    // Strict `>` keeps the earliest (smallest) threshold on a tie, like vmo's stable descending sort.
    var bestIndex = 0
    for index in irSums.indices where irSums[index] > irSums[bestIndex] {
        bestIndex = index
    }
    return ThresholdSearchResult(
        threshold: thresholds[bestIndex], irSum: irSums[bestIndex],
        thresholds: thresholds, irSums: irSums, labelCounts: labelCounts)
}
