import Foundation
import NeuralFeatures
import Testing

@testable import MusicHalApp

@Suite("Similarity and feature statistics")
struct FeatureStatisticsTests {
    @Test("cosine: 1 for the same direction at any scale, -1 opposite, 0 orthogonal, nil for a zero vector")
    func cosine() {
        #expect(FeatureStatistics.cosine([1, 2, 3], [2, 4, 6]) == 1)
        #expect(FeatureStatistics.cosine([1, 2, 3], [-1, -2, -3]) == -1)
        #expect(FeatureStatistics.cosine([1, 0], [0, 5]) == 0)
        #expect(abs(FeatureStatistics.cosine([1, 1], [1, 0])! - 0.5.squareRoot()) < 1e-12)
        #expect(FeatureStatistics.cosine([0, 0], [1, 0]) == nil)
    }

    @Test("energy similarity: 1 for the same set in any order, the hand-computed value, 0 for far-apart points")
    func energySimilarity() throws {
        let set: [[Float]] = [[0, 1], [2, 3], [5, -1], [0.5, 0.5]]
        #expect(FeatureStatistics.energySimilarity(set, set) == 1)
        #expect(abs(FeatureStatistics.energySimilarity(set, set.reversed())! - 1) < 1e-12)
        // X = {0, 2}, Y = {1}: E|X−X'| = (0+2+2+0)/4 = 1, E|Y−Y'| = 0, E|X−Y| = 1 → (1 + 0) / 2 = 0.5.
        #expect(FeatureStatistics.energySimilarity([[0], [2]], [[1]]) == 0.5)
        #expect(FeatureStatistics.energySimilarity([[0]], [[100]]) == 0)
        // The same distribution sampled twice scores higher than a shifted one.
        let near = set.map { $0.map { $0 + 0.05 } }
        let far = set.map { $0.map { $0 + 3 } }
        let nearScore = try #require(FeatureStatistics.energySimilarity(set, near))
        let farScore = try #require(FeatureStatistics.energySimilarity(set, far))
        #expect(nearScore > 0.98 && farScore < 0.7 && farScore > 0, "\(nearScore) \(farScore)")
        #expect(FeatureStatistics.energySimilarity([], set) == nil)
        // Thinning keeps the identity: a long set against itself is still exactly 1.
        let long = (0..<2500).map { [Float($0 % 17), Float($0 % 5)] }
        #expect(FeatureStatistics.energySimilarity(long, long, limit: 100) == 1)
    }

    @Test("best-match cosine: 1 for the same set, 0.75 when one set has an extra orthogonal vector")
    func bestMatch() {
        let e1: [Float] = [1, 0, 0]
        let e2: [Float] = [0, 1, 0]
        #expect(FeatureStatistics.bestMatchCosine([e1, e2], [e2, e1]) == 1)
        // From X={e1}: best 1. From Y={e1, e2}: (1 + 0)/2. Mean 0.75.
        #expect(FeatureStatistics.bestMatchCosine([e1], [e1, e2]) == 0.75)
        #expect(FeatureStatistics.bestMatchCosine([e1], [[-2, 0, 0]]) == -1)
        #expect(FeatureStatistics.bestMatchCosine([[0, 0, 0]], [e1]) == nil)
    }

    @Test("variance, normalised total variance and sparsity on known values")
    func spreadAndSparsity() {
        let vectors: [[Float]] = [[1, 0, 4], [3, 0, 4]]
        #expect(FeatureStatistics.dimensionVariances(vectors) == [1, 0, 0])
        #expect(FeatureStatistics.normalizedTotalVariance([[1, 0], [3, 0]]) == 0)
        #expect(FeatureStatistics.normalizedTotalVariance([[1, 0], [-2, 0]]) == 1)
        #expect(abs(FeatureStatistics.normalizedTotalVariance([[1, 0], [0, 1]])! - 0.5) < 1e-12)
        let sparse = FeatureStatistics.sparsity(
            [[0, 0.0005, 1, 0.5], [0.002, -0.0009, 0, -0.3]], relativeThreshold: 0.001)
        #expect(sparse.fraction == 0.5)
        #expect(sparse.threshold == 0.001)
    }

    @Test("token usage: histogram, tokens used and entropy in bits")
    func tokenUsage() {
        let uniform = FeatureStatistics.TokenUsage(tokens: [0, 1, 2, 3, 3, 2, 1, 0], vocabulary: 4)
        #expect(uniform.histogram == [2, 2, 2, 2])
        #expect(uniform.used == 4)
        #expect(abs(uniform.entropyBits - 2) < 1e-12)
        let skewed = FeatureStatistics.TokenUsage(tokens: [0, 0, 0, 1], vocabulary: 8)
        #expect(skewed.used == 2)
        // −(3/4 log2 3/4 + 1/4 log2 1/4) = 0.811278
        #expect(abs(skewed.entropyBits - 0.811_278_124_459_132_8) < 1e-12)
        #expect(FeatureStatistics.TokenUsage(tokens: [5, 5, 5], vocabulary: 6).entropyBits == 0)
    }

    @Test("the quantizer of compare-features: k = min(64, events), every token in range, deterministic")
    func quantizerTokens() throws {
        let vectors = (0..<40).map { i in (0..<8).map { Float(sin(Double(i * 7 + $0))) } }
        let usage = try FeatureComparisonTool.tokenUsage(vectors)
        #expect(usage.histogram.count == 40)
        #expect(usage.histogram.reduce(0, +) == 40)
        #expect(usage.entropyBits <= log2(40) + 1e-9)
        #expect(try FeatureComparisonTool.tokenUsage(vectors) == usage)
        let many = (0..<200).map { i in (0..<8).map { Float(sin(Double(i * 13 + $0 * 3))) } }
        #expect(try FeatureComparisonTool.tokenUsage(many).histogram.count == 64)
    }

    @Test("segments for the encoder hold whole events, at most the maximum length, each window once")
    func segmentPlan() {
        let rate = 16_000
        // Events every second, each 0.8 s long, over 100 s; segments of at most 30 s.
        let windows = (0..<100).map { EventWindow(onset: Double($0), offset: Double($0) + 0.8) }
        let plan = SegmentedEncoder.plan(
            windows: windows.reversed(), sampleCount: 100 * rate, sampleRate: rate, maximumSeconds: 30,
            minimumSamples: 400)
        #expect(plan.flatMap(\.windows).sorted() == Array(0..<100))
        let reversed = Array(windows.reversed())
        for segment in plan {
            #expect(segment.samples.count <= 30 * rate)
            for index in segment.windows {
                #expect(Double(segment.samples.lowerBound) <= reversed[index].onset * Double(rate))
                #expect(Double(segment.samples.upperBound) >= reversed[index].offset * Double(rate) - 1)
            }
        }
        #expect(plan.count == 4)
        // A tiny event at the very end still gets a segment the encoder can take.
        let tiny = SegmentedEncoder.plan(
            windows: [EventWindow(onset: 0.999, offset: 0.9995)], sampleCount: rate, sampleRate: rate,
            maximumSeconds: 30, minimumSamples: 400)
        #expect(tiny.first?.samples == (rate - 400)..<rate)
    }
}
