import OracleCore
import Testing

/// Information rate, the numpy-compatible threshold grid and threshold-search edge cases.
@Suite("Information rate and threshold search")
struct InformationRateTests {
    @Test("the default grid reproduces numpy.arange(0, 4, 0.05)")
    func defaultGridMatchesNumpy() {
        let values = ThresholdGrid.musicHalDefault.values
        #expect(values.count == 80)
        #expect(values[3] == 0.15000000000000002)
        #expect(values[6] == 0.30000000000000004)
        #expect(values[72] == 3.6)
        #expect(values.last == 3.95)
    }

    @Test("grid counts follow ceil((stop - start) / step)")
    func gridCount() throws {
        #expect(try ThresholdGrid(start: 0, stop: 1, step: 0.1).count == 10)
        #expect(try ThresholdGrid(start: 0.5, stop: 1, step: 0.2).values == [0.5, 0.7, 0.8999999999999999])
    }

    @Test(
        "invalid grids are rejected",
        arguments: [
            (0.0, 1.0, 0.0), (0.0, 1.0, -0.1), (1.0, 1.0, 0.1),
            (-0.5, 1.0, 0.1), (0.0, Double.infinity, 0.1),
        ])
    func invalidGrid(start: Double, stop: Double, step: Double) {
        #expect(throws: OracleError.invalidThresholdGrid(start: start, stop: stop, step: step)) {
            try ThresholdGrid(start: start, stop: stop, step: step)
        }
    }

    @Test("hand-computed information rate of a short sequence")
    func shortSequence() {
        // "aab": states 1 (a, new), 2 (a, lrs 1), 3 (b, new). Blocks: [0] new, [1] L=1, [2] new.
        let rate = informationRate(lrs: [0, 0, 1, 0])
        #expect(rate.h0 == [0, 0, 1])
        #expect(rate.h1 == [0, 1, 1.584962500721156])
        #expect(rate.ir == [0, 0, 0])
        #expect(rate.sum == 0)
        // "abab": blocks [0] new, [1] new, [2, 3] L=2.
        let repeated = informationRate(lrs: [0, 0, 0, 1, 2])
        #expect(repeated.h0 == [0, 1, 1, 1])
        #expect(repeated.h1 == [0, 1, 1.584962500721156 / 2, 1.584962500721156 / 2])
        #expect(repeated.sum == 2 * (1 - 1.584962500721156 / 2))
        #expect(informationRate(lrs: [0]).ir.isEmpty)
        #expect(informationRate(lrs: []).sum == 0)
    }

    @Test("threshold search rejects bad frames and picks the smallest threshold on a tie")
    func thresholdSearchEdges() throws {
        #expect(throws: OracleError.emptyInput) { try findThreshold(frames: [], grid: .musicHalDefault) }
        #expect(throws: OracleError.dimensionMismatch(frame: 1, expected: 2, actual: 1)) {
            try findThreshold(frames: [[0, 0], [1]], grid: .musicHalDefault)
        }
        #expect(throws: OracleError.nonFiniteFeature(frame: 0, component: 1)) {
            try findThreshold(frames: [[0, .nan]], grid: .musicHalDefault)
        }
        // Two far-apart repeated points: every threshold in [1, 3) gives the same oracle and the same score.
        let frames: [[Double]] = Array(repeating: [[0.0], [10.0]], count: 6).flatMap { $0 }
        let result = try findThreshold(frames: frames, grid: ThresholdGrid(start: 1, stop: 3, step: 0.5))
        #expect(Set(result.irSums).count == 1)
        #expect(result.threshold == 1)
        #expect(result.labelCounts == [2, 2, 2, 2])
    }
}
