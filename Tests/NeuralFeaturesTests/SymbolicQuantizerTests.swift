import MusicHalCore
import NeuralFeatures
import RealModule
import Testing

@Suite("Symbolic quantizer")
struct SymbolicQuantizerTests {
    /// A standard normal sample (Box-Muller).
    static func gaussian(_ random: inout SeededRandomGenerator) -> Double {
        let u = max(random.nextUnit(), 1e-300)
        let v = random.nextUnit()
        return (-2 * Double.log(u)).squareRoot() * Double.cos(2 * Double.pi * v)
    }

    /// `perCluster` vectors around each of `centres` random directions in `dimension` dimensions.
    static func clusters(centres: Int, perCluster: Int, dimension: Int, spread: Double, seed: UInt64)
        -> (vectors: [[Float]], labels: [Int])
    {
        var random = SeededRandomGenerator(seed: seed)
        let means = (0..<centres).map { _ in (0..<dimension).map { _ in gaussian(&random) } }
        var vectors: [[Float]] = []
        var labels: [Int] = []
        for index in 0..<(centres * perCluster) {
            let label = index % centres
            vectors.append(means[label].map { Float($0 + spread * gaussian(&random)) })
            labels.append(label)
        }
        return (vectors, labels)
    }

    @Test("well-separated clusters get distinct tokens, each cluster one token")
    func separatedClusters() throws {
        let (vectors, labels) = Self.clusters(centres: 8, perCluster: 30, dimension: 24, spread: 0.02, seed: 3)
        let quantizer = try SymbolicQuantizer.fit(
            vectors: vectors, settings: SymbolicQuantizer.Settings(maximumComponents: 16, clusterCount: 8, seed: 5))
        var tokenOfLabel: [Int: Int] = [:]
        for (vector, label) in zip(vectors, labels) {
            let token = quantizer.token(for: vector)
            #expect(tokenOfLabel[label, default: token] == token)
            tokenOfLabel[label] = token
        }
        #expect(Set(tokenOfLabel.values).count == 8)
        #expect(quantizer.componentCount == 16 && quantizer.clusterCount == 8 && quantizer.inputDimension == 24)
    }

    @Test("the same seed gives the same quantizer; another seed may not")
    func determinism() throws {
        let (vectors, _) = Self.clusters(centres: 20, perCluster: 10, dimension: 16, spread: 0.6, seed: 11)
        let settings = SymbolicQuantizer.Settings(maximumComponents: 8, clusterCount: 12, seed: 42)
        let first = try SymbolicQuantizer.fit(vectors: vectors, settings: settings)
        let second = try SymbolicQuantizer.fit(vectors: vectors, settings: settings)
        #expect(first == second)
        #expect(vectors.map(first.token(for:)) == vectors.map(second.token(for:)))
        var other = settings
        other.seed = 43
        #expect(try SymbolicQuantizer.fit(vectors: vectors, settings: other).parameters != first.parameters)
    }

    @Test("PCA recovers the principal axes of a synthetic Gaussian")
    func principalAxes() throws {
        // Variances 9, 4, 1 and 0.01 along a rotated orthonormal basis in 6-D, offset far from the origin so that
        // L2 normalisation is close to a fixed scaling (the offset direction is orthogonal to the basis).
        let basis = SymmetricEigenTests.orthogonal(6, seed: 21)
        let axes = (0..<4).map { k in (0..<6).map { basis[$0 * 6 + k] } }
        let offset = (0..<6).map { 100 * basis[$0 * 6 + 5] }
        let deviations: [Double] = [3, 2, 1, 0.1]
        var random = SeededRandomGenerator(seed: 8)
        var vectors: [[Float]] = []
        for _ in 0..<4000 {
            var v = offset
            for k in 0..<4 {
                let amount = deviations[k] * Self.gaussian(&random)
                for i in 0..<6 { v[i] += amount * axes[k][i] }
            }
            vectors.append(v.map(Float.init))
        }
        let quantizer = try SymbolicQuantizer.fit(
            vectors: vectors, settings: SymbolicQuantizer.Settings(maximumComponents: 3, clusterCount: 4))
        #expect(quantizer.componentCount == 3)
        let components = quantizer.parameters.components
        for k in 0..<3 {
            let dot = (0..<6).reduce(0.0) { $0 + Double(components[k * 6 + $1]) * axes[k][$1] }
            #expect(abs(dot) > 0.995, "axis \(k): |cos| = \(abs(dot))")
        }
        // Variances of the normalised data are those of the raw data / 100².
        let ratios = quantizer.componentVariances.map { $0 * 10000 }
        #expect(abs(ratios[0] - 9) < 0.6 && abs(ratios[1] - 4) < 0.3 && abs(ratios[2] - 1) < 0.1)
    }

    @Test("parameters round-trip through plain arrays, and bad arrays are refused")
    func serialisation() throws {
        let (vectors, _) = Self.clusters(centres: 5, perCluster: 8, dimension: 10, spread: 0.1, seed: 2)
        let quantizer = try SymbolicQuantizer.fit(
            vectors: vectors, settings: SymbolicQuantizer.Settings(maximumComponents: 4, clusterCount: 5))
        let p = quantizer.parameters
        let restored = try SymbolicQuantizer(
            parameters: SymbolicQuantizer.Parameters(
                inputDimension: p.inputDimension, componentCount: p.componentCount, clusterCount: p.clusterCount,
                mean: p.mean, components: p.components, centroids: p.centroids))
        #expect(vectors.map(restored.token(for:)) == vectors.map(quantizer.token(for:)))
        var broken = p
        broken.centroids.removeLast()
        #expect(throws: NeuralFeaturesError.self) { try SymbolicQuantizer(parameters: broken) }
        broken = p
        broken.mean[0] = .nan
        #expect(throws: NeuralFeaturesError.self) { try SymbolicQuantizer(parameters: broken) }
    }

    @Test("scarce data: fewer components and clusters than asked, never more than the data allows")
    func scarceData() throws {
        let vectors: [[Float]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0]]
        let quantizer = try SymbolicQuantizer.fit(vectors: vectors)
        #expect(quantizer.componentCount == 3)
        #expect(quantizer.clusterCount == 2)
        #expect(quantizer.token(for: [2, 0, 0, 0]) == quantizer.token(for: [1, 0, 0, 0]))
        #expect(quantizer.token(for: [0, 1, 0, 0]) != quantizer.token(for: [1, 0, 0, 0]))
        #expect(throws: NeuralFeaturesError.self) { try SymbolicQuantizer.fit(vectors: []) }
        #expect(throws: NeuralFeaturesError.self) { try SymbolicQuantizer.fit(vectors: [[1, 2], [1]]) }
    }
}
