import Foundation

/// The statistics `musichal compare` and `musichal analyze --compare-features` report, on plain vectors.
///
/// Everything accumulates in Double. Sets of vectors are `[[Float]]`, all of one length.
public enum FeatureStatistics {
    /// Cosine of the angle between `a` and `b` (same length), in [-1, 1]; nil when either is all zeros.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double? {
        precondition(a.count == b.count, "cosine of vectors of different lengths")
        var dot = 0.0
        var normA = 0.0
        var normB = 0.0
        for i in a.indices {
            let x = Double(a[i])
            let y = Double(b[i])
            dot += x * y
            normA += x * x
            normB += y * y
        }
        guard normA > 0, normB > 0 else { return nil }
        return max(-1, min(1, dot / (normA.squareRoot() * normB.squareRoot())))
    }

    /// One minus the energy coefficient of Székely and Rizzo between the empirical distributions of `x` and
    /// `y`: `(E‖X−X'‖ + E‖Y−Y'‖) / (2 E‖X−Y‖)`, Euclidean distances, expectations over all pairs (V-statistics).
    ///
    /// It lies in [0, 1]: 1 exactly when both sets hold the same vectors in the same proportions (then the energy
    /// distance `2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖` is zero), falling towards 0 as the sets move apart relative to
    /// their own spread. nil when either set is empty. Sets larger than `limit` are thinned to `limit` evenly
    /// spaced vectors (deterministic) to bound the quadratic cost.
    public static func energySimilarity(_ x: [[Float]], _ y: [[Float]], limit: Int = 2000) -> Double? {
        guard !x.isEmpty, !y.isEmpty else { return nil }
        let a = thinned(x, to: limit)
        let b = thinned(y, to: limit)
        let between = meanDistance(a, b)
        guard between > 0 else { return 1 }
        let within = meanDistance(a, a) + meanDistance(b, b)
        return max(0, min(1, within / (2 * between)))
    }

    /// Symmetric best-match cosine between two sets of embeddings: for each vector of `x` the highest cosine to
    /// any vector of `y`, averaged over `x`; the same from `y` to `x`; then the mean of the two directions (the
    /// greedy matching of BERTScore, with arithmetic rather than harmonic averaging so negative values stay
    /// meaningful). In [-1, 1]; 1 when every vector of each set has a parallel partner in the other. Zero vectors
    /// are skipped; nil when a set has none left. Sets are thinned to `limit` as in `energySimilarity`.
    public static func bestMatchCosine(_ x: [[Float]], _ y: [[Float]], limit: Int = 1000) -> Double? {
        let a = unitVectors(thinned(x, to: limit))
        let b = unitVectors(thinned(y, to: limit))
        guard !a.isEmpty, !b.isEmpty else { return nil }
        var bestForA = [Double](repeating: -1, count: a.count)
        var bestForB = [Double](repeating: -1, count: b.count)
        for i in a.indices {
            for j in b.indices {
                var dot = 0.0
                for k in a[i].indices { dot += a[i][k] * b[j][k] }
                bestForA[i] = max(bestForA[i], dot)
                bestForB[j] = max(bestForB[j], dot)
            }
        }
        let forward = bestForA.reduce(0, +) / Double(a.count)
        let backward = bestForB.reduce(0, +) / Double(b.count)
        return max(-1, min(1, (forward + backward) / 2))
    }

    /// Element-wise mean of `vectors` (nil when empty).
    public static func mean(_ vectors: [[Float]]) -> [Float]? {
        guard let width = vectors.first?.count else { return nil }
        var sums = [Double](repeating: 0, count: width)
        for vector in vectors {
            for k in 0..<width { sums[k] += Double(vector[k]) }
        }
        return sums.map { Float($0 / Double(vectors.count)) }
    }

    /// Population variance of each dimension over `vectors` (empty when there are none).
    public static func dimensionVariances(_ vectors: [[Float]]) -> [Double] {
        guard let width = vectors.first?.count else { return [] }
        let n = Double(vectors.count)
        var mean = [Double](repeating: 0, count: width)
        for vector in vectors {
            for k in 0..<width { mean[k] += Double(vector[k]) }
        }
        for k in 0..<width { mean[k] /= n }
        var variance = [Double](repeating: 0, count: width)
        for vector in vectors {
            for k in 0..<width {
                let delta = Double(vector[k]) - mean[k]
                variance[k] += delta * delta
            }
        }
        return variance.map { $0 / n }
    }

    /// Total variance of the L2-normalised vectors, `1 − ‖mean of the unit vectors‖²`: 0 when all point the same
    /// way, up to 1 when they cancel out. Scale-free, so it compares feature spaces of different units and sizes
    /// (the quantizer sees the vectors this way too). Zero vectors are skipped; nil when none are left.
    public static func normalizedTotalVariance(_ vectors: [[Float]]) -> Double? {
        let units = unitVectors(vectors)
        guard let width = units.first?.count else { return nil }
        var sums = [Double](repeating: 0, count: width)
        for unit in units {
            for k in 0..<width { sums[k] += unit[k] }
        }
        let n = Double(units.count)
        let squaredNorm = sums.reduce(0) { $0 + ($1 / n) * ($1 / n) }
        return max(0, 1 - squaredNorm)
    }

    /// The fraction of values of `vectors` whose magnitude is at most `relativeThreshold` times the largest
    /// magnitude among them (0 for an empty set; 1 when all are zero).
    public static func sparsity(_ vectors: [[Float]], relativeThreshold: Double) -> (
        fraction: Double, threshold: Double
    ) {
        var largest = 0.0
        var count = 0
        for vector in vectors {
            for value in vector { largest = max(largest, Double(abs(value))) }
            count += vector.count
        }
        guard count > 0 else { return (0, 0) }
        let threshold = largest * relativeThreshold
        var small = 0
        for vector in vectors {
            for value in vector where Double(abs(value)) <= threshold { small += 1 }
        }
        return (Double(small) / Double(count), threshold)
    }

    /// How a sequence of tokens uses a vocabulary of `vocabulary` symbols.
    public struct TokenUsage: Sendable, Equatable {
        /// Occurrences of each token `0..<vocabulary`.
        public var histogram: [Int]
        /// Tokens that occur at least once.
        public var used: Int
        /// Shannon entropy of the token distribution in bits (0 for one token; log2(vocabulary) when uniform).
        public var entropyBits: Double

        /// Counts `tokens`, each in `0..<vocabulary`.
        public init(tokens: [Int], vocabulary: Int) {
            var histogram = [Int](repeating: 0, count: vocabulary)
            for token in tokens { histogram[token] += 1 }
            self.histogram = histogram
            used = histogram.filter { $0 > 0 }.count
            let total = Double(tokens.count)
            entropyBits = histogram.reduce(0.0) { sum, count in
                guard count > 0 else { return sum }
                let p = Double(count) / total
                return sum - p * Foundation.log2(p)
            }
        }
    }

    // MARK: - Helpers

    /// At most `limit` vectors, evenly spaced through `vectors` (all of them when there are few enough).
    static func thinned(_ vectors: [[Float]], to limit: Int) -> [[Float]] {
        guard vectors.count > limit, limit > 0 else { return vectors }
        return (0..<limit).map { vectors[$0 * vectors.count / limit] }
    }

    /// The nonzero vectors scaled to unit length, in Double.
    static func unitVectors(_ vectors: [[Float]]) -> [[Double]] {
        vectors.compactMap { vector in
            let values = vector.map(Double.init)
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? values.map { $0 / norm } : nil
        }
    }

    /// Mean Euclidean distance over all pairs (i, j), i from `a` and j from `b`.
    static func meanDistance(_ a: [[Float]], _ b: [[Float]]) -> Double {
        var sum = 0.0
        for u in a {
            for v in b {
                var squared = 0.0
                for k in u.indices {
                    let delta = Double(u[k]) - Double(v[k])
                    squared += delta * delta
                }
                sum += squared.squareRoot()
            }
        }
        return sum / Double(a.count * b.count)
    }
}
