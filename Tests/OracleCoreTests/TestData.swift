import MusicHalCore
import OracleCore

/// Seeded synthetic inputs for property, navigation and tracking tests.
enum TestData {
    /// A random symbol sequence over `0 ..< alphabetSize`.
    static func randomSymbols(count: Int, alphabetSize: Int, seed: UInt64) -> [Int] {
        var generator = SeededRandomGenerator(seed: seed)
        return (0..<count).map { _ in Int.random(in: 0..<alphabetSize, using: &generator) }
    }

    /// A uniform value in `range`.
    static func uniform(_ range: ClosedRange<Double>, using generator: inout SeededRandomGenerator) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * generator.nextUnit()
    }

    /// Frames of `clusterCount` well separated cluster centres (uniform in [-2, 2] per feature), visited along a
    /// few repeated motifs, each frame its centre plus uniform noise of `noise` per feature.
    static func clusteredFrames(
        count: Int, dimension: Int, clusterCount: Int, noise: Double, seed: UInt64
    ) -> (frames: [[Double]], clusters: [Int]) {
        var generator = SeededRandomGenerator(seed: seed)
        let centres = (0..<clusterCount).map { _ in
            (0..<dimension).map { _ in uniform(-2...2, using: &generator) }
        }
        let motifs = (0..<4).map { _ in
            (0..<Int.random(in: 3...7, using: &generator)).map { _ in
                Int.random(in: 0..<clusterCount, using: &generator)
            }
        }
        var clusters: [Int] = []
        while clusters.count < count {
            if generator.nextUnit() < 0.8 {
                clusters += motifs[Int.random(in: 0..<motifs.count, using: &generator)]
            } else {
                clusters.append(Int.random(in: 0..<clusterCount, using: &generator))
            }
        }
        clusters = Array(clusters.prefix(count))
        let frames = clusters.map { cluster in
            centres[cluster].map { $0 + uniform(-noise...noise, using: &generator) }
        }
        return (frames, clusters)
    }

    /// `frame` with uniform noise of `amount` per feature added.
    static func perturbed(_ frame: [Double], amount: Double, using generator: inout SeededRandomGenerator) -> [Double] {
        frame.map { $0 + uniform(-amount...amount, using: &generator) }
    }
}
