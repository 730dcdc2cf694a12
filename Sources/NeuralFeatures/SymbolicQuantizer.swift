import MusicHalCore

/// Turns embedding vectors into a small alphabet of tokens for the oracle: L2-normalise → PCA (at most 128
/// dimensions) → nearest of k centroids (k-means, k = 64 by default).
///
/// `fit` is deterministic for a given seed and input order. The fitted state is plain arrays (`parameters`), so
/// a model file can carry it and `init(parameters:)` restores exactly the same tokens.
public struct SymbolicQuantizer: Sendable, Equatable {
    /// How a quantizer is fitted.
    public struct Settings: Sendable, Equatable {
        /// Upper bound on the PCA dimensions (fewer when the data has fewer dimensions or vectors).
        public var maximumComponents: Int
        /// Requested number of tokens k (fewer when there are fewer distinct vectors).
        public var clusterCount: Int
        /// Seed of the k-means++ initialisation.
        public var seed: UInt64
        /// Cap on Lloyd iterations (it stops earlier when no assignment changes).
        public var maximumIterations: Int

        /// Creates settings; the defaults are the original system's (128 dimensions, 64 tokens).
        public init(
            maximumComponents: Int = 128, clusterCount: Int = 64, seed: UInt64 = 1, maximumIterations: Int = 100
        ) {
            self.maximumComponents = maximumComponents
            self.clusterCount = clusterCount
            self.seed = seed
            self.maximumIterations = maximumIterations
        }
    }

    /// The serialisable state.
    public struct Parameters: Sendable, Equatable {
        /// Length of the input vectors D.
        public var inputDimension: Int
        /// PCA dimensions p.
        public var componentCount: Int
        /// Tokens k.
        public var clusterCount: Int
        /// Mean of the L2-normalised training vectors, `[D]`.
        public var mean: [Float]
        /// Principal axes, row-major `[p, D]`, largest variance first.
        public var components: [Float]
        /// Cluster centres in PCA space, row-major `[k, p]`; token i is centre i.
        public var centroids: [Float]

        /// Creates parameters from their arrays.
        public init(
            inputDimension: Int, componentCount: Int, clusterCount: Int, mean: [Float], components: [Float],
            centroids: [Float]
        ) {
            self.inputDimension = inputDimension
            self.componentCount = componentCount
            self.clusterCount = clusterCount
            self.mean = mean
            self.components = components
            self.centroids = centroids
        }
    }

    /// The fitted state.
    public let parameters: Parameters
    /// Variance of the training data along each principal axis (eigenvalues), `[p]`.
    public let componentVariances: [Double]
    /// Lloyd iterations the fit ran (0 for a restored quantizer).
    public let iterations: Int

    /// Length of the vectors `token(for:)` accepts.
    public var inputDimension: Int { parameters.inputDimension }
    /// Number of distinct tokens, `0..<clusterCount`.
    public var clusterCount: Int { parameters.clusterCount }
    /// PCA dimensions.
    public var componentCount: Int { parameters.componentCount }

    /// Restores a quantizer from its arrays, checking that they fit together.
    public init(parameters: Parameters) throws {
        let d = parameters.inputDimension
        let p = parameters.componentCount
        let k = parameters.clusterCount
        guard d > 0, p > 0, p <= d, k > 0 else {
            throw NeuralFeaturesError.invalidQuantizer("impossible sizes D=\(d), p=\(p), k=\(k)")
        }
        guard parameters.mean.count == d, parameters.components.count == p * d, parameters.centroids.count == k * p
        else {
            throw NeuralFeaturesError.invalidQuantizer(
                "array lengths \(parameters.mean.count), \(parameters.components.count), \(parameters.centroids.count) "
                    + "do not match D=\(d), p=\(p), k=\(k)")
        }
        guard (parameters.mean + parameters.components + parameters.centroids).allSatisfy(\.isFinite) else {
            throw NeuralFeaturesError.invalidQuantizer("parameters contain NaN or infinity")
        }
        self.parameters = parameters
        componentVariances = []
        iterations = 0
    }

    private init(parameters: Parameters, componentVariances: [Double], iterations: Int) {
        self.parameters = parameters
        self.componentVariances = componentVariances
        self.iterations = iterations
    }

    /// Fits the quantizer to `vectors` (all of one length D).
    public static func fit(vectors: [[Float]], settings: Settings = Settings()) throws -> SymbolicQuantizer {
        guard let d = vectors.first?.count, d > 0 else {
            throw NeuralFeaturesError.invalidQuantizer("no vectors to fit")
        }
        guard vectors.allSatisfy({ $0.count == d }) else {
            throw NeuralFeaturesError.invalidQuantizer("vectors have different lengths")
        }
        guard vectors.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw NeuralFeaturesError.invalidQuantizer("vectors contain NaN or infinity")
        }
        guard settings.maximumComponents > 0, settings.clusterCount > 0, settings.maximumIterations > 0 else {
            throw NeuralFeaturesError.invalidQuantizer("components, clusters and iterations must be positive")
        }
        let n = vectors.count

        // 1. L2-normalise, centre, covariance (Float64).
        let normalized = vectors.map { normalize($0).map(Double.init) }
        var mean = [Double](repeating: 0, count: d)
        for vector in normalized {
            for j in 0..<d { mean[j] += vector[j] }
        }
        for j in 0..<d { mean[j] /= Double(n) }
        var covariance = [Double](repeating: 0, count: d * d)
        var centred = [Double](repeating: 0, count: d)
        for vector in normalized {
            for j in 0..<d { centred[j] = vector[j] - mean[j] }
            for i in 0..<d {
                let ci = centred[i]
                if ci == 0 { continue }
                let row = i * d
                for j in i..<d { covariance[row + j] += ci * centred[j] }
            }
        }
        for i in 0..<d {
            for j in i..<d {
                covariance[i * d + j] /= Double(n)
                covariance[j * d + i] = covariance[i * d + j]
            }
        }

        // 2. PCA: the leading eigenvectors; never more axes than the data can span.
        let eigen = try SymmetricEigendecomposition(symmetric: covariance, dimension: d)
        let p = min(settings.maximumComponents, d, max(1, n - 1))
        let components = eigen.vectors.prefix(p).flatMap { $0.map(Float.init) }
        let meanFloats = mean.map(Float.init)

        // 3. k-means on the projected vectors (projection in float32, as `token(for:)` does it).
        let projected = vectors.map { project($0, mean: meanFloats, components: components, d: d, p: p) }
        let (centroids, iterations) = kMeans(
            projected.map { $0.map(Double.init) }, dimension: p, requested: settings.clusterCount,
            seed: settings.seed, maximumIterations: settings.maximumIterations)
        let k = centroids.count / p
        let parameters = Parameters(
            inputDimension: d, componentCount: p, clusterCount: k, mean: meanFloats, components: components,
            centroids: centroids.map(Float.init))
        return SymbolicQuantizer(
            parameters: parameters, componentVariances: Array(eigen.values.prefix(p)), iterations: iterations)
    }

    /// The token (`0..<clusterCount`) of `vector`, which must have `inputDimension` values.
    public func token(for vector: [Float]) -> Int {
        precondition(vector.count == parameters.inputDimension, "vector length \(vector.count) ≠ \(inputDimension)")
        let point = Self.project(
            vector, mean: parameters.mean, components: parameters.components, d: inputDimension, p: componentCount)
        return Self.nearest(point, centroids: parameters.centroids, dimension: componentCount)
    }

    /// The PCA coordinates of `vector` (after L2 normalisation), `[componentCount]`.
    public func project(_ vector: [Float]) -> [Float] {
        precondition(vector.count == parameters.inputDimension, "vector length \(vector.count) ≠ \(inputDimension)")
        return Self.project(
            vector, mean: parameters.mean, components: parameters.components, d: inputDimension, p: componentCount)
    }

    // MARK: - Steps

    /// `vector / ‖vector‖`; the zero vector stays zero.
    static func normalize(_ vector: [Float]) -> [Float] {
        var sum = 0.0
        for x in vector { sum += Double(x) * Double(x) }
        guard sum > 0 else { return vector }
        let scale = 1 / sum.squareRoot()
        return vector.map { Float(Double($0) * scale) }
    }

    static func project(_ vector: [Float], mean: [Float], components: [Float], d: Int, p: Int) -> [Float] {
        let unit = normalize(vector)
        var out = [Float](repeating: 0, count: p)
        for c in 0..<p {
            var sum = 0.0
            let row = c * d
            for j in 0..<d { sum += Double(components[row + j]) * Double(unit[j] - mean[j]) }
            out[c] = Float(sum)
        }
        return out
    }

    /// Index of the nearest centroid (lowest index on ties).
    static func nearest(_ point: [Float], centroids: [Float], dimension p: Int) -> Int {
        var best = 0
        var bestDistance = Double.infinity
        for c in 0..<(centroids.count / p) {
            var distance = 0.0
            for j in 0..<p {
                let delta = Double(point[j]) - Double(centroids[c * p + j])
                distance += delta * delta
            }
            if distance < bestDistance {
                bestDistance = distance
                best = c
            }
        }
        return best
    }

    /// k-means++ seeding, then Lloyd iterations until no assignment changes (or the cap). Returns row-major
    /// centroids (`count/p` of them: fewer than requested when there are fewer distinct points) and iterations.
    static func kMeans(
        _ points: [[Double]], dimension p: Int, requested: Int, seed: UInt64, maximumIterations: Int
    ) -> (centroids: [Double], iterations: Int) {
        let n = points.count
        var random = SeededRandomGenerator(seed: seed)
        func squaredDistance(_ a: [Double], _ b: ArraySlice<Double>) -> Double {
            var sum = 0.0
            var index = b.startIndex
            for x in a {
                let delta = x - b[index]
                sum += delta * delta
                index += 1
            }
            return sum
        }

        // k-means++: the first centre uniformly, each next one with probability ∝ squared distance to the nearest.
        var centroids: [Double] = []
        let first = Int(random.nextUnit() * Double(n))
        centroids += points[min(first, n - 1)]
        var closest = points.map { squaredDistance($0, centroids[0..<p]) }
        while centroids.count / p < min(requested, n) {
            let total = closest.reduce(0, +)
            guard total > 0 else { break }
            var target = random.nextUnit() * total
            var chosen = n - 1
            for i in 0..<n {
                target -= closest[i]
                if target < 0 && closest[i] > 0 {
                    chosen = i
                    break
                }
            }
            if closest[chosen] == 0 { chosen = closest.lastIndex { $0 > 0 }! }
            let start = centroids.count
            centroids += points[chosen]
            for i in 0..<n { closest[i] = min(closest[i], squaredDistance(points[i], centroids[start..<(start + p)])) }
        }
        let k = centroids.count / p

        var assignment = [Int](repeating: -1, count: n)
        var iterations = 0
        while iterations < maximumIterations {
            iterations += 1
            var changed = false
            var distances = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var best = 0
                var bestDistance = Double.infinity
                for c in 0..<k {
                    let distance = squaredDistance(points[i], centroids[(c * p)..<((c + 1) * p)])
                    if distance < bestDistance {
                        bestDistance = distance
                        best = c
                    }
                }
                distances[i] = bestDistance
                if assignment[i] != best {
                    assignment[i] = best
                    changed = true
                }
            }
            if !changed { break }
            var sums = [Double](repeating: 0, count: k * p)
            var counts = [Int](repeating: 0, count: k)
            for i in 0..<n {
                let c = assignment[i]
                counts[c] += 1
                for j in 0..<p { sums[c * p + j] += points[i][j] }
            }
            for c in 0..<k {
                if counts[c] > 0 {
                    for j in 0..<p { centroids[c * p + j] = sums[c * p + j] / Double(counts[c]) }
                } else {
                    // An empty cluster takes the point farthest from its centre (deterministic).
                    var farthest = 0
                    for i in 1..<n where distances[i] > distances[farthest] { farthest = i }
                    for j in 0..<p { centroids[c * p + j] = points[farthest][j] }
                    distances[farthest] = 0
                }
            }
        }
        return (centroids, iterations)
    }
}
