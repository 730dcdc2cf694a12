import Foundation
import MusicHalCore
import OracleCore
import Testing

/// vmo 0.30.5 Variable Markov Oracle fixtures (fixed thresholds, the IR search and the oracle at its optimum)
/// reproduced exactly.
@Suite("Variable Markov Oracle golden fixtures")
struct GoldenVariableMarkovOracleTests {
    /// One oracle described by a fixture file.
    struct OracleCase: Sendable, CustomTestStringConvertible {
        let file: String
        /// `tight`, `separating` (under `fixed`) or `oracle_at_best` (under `threshold_search`).
        let which: String
        var testDescription: String { "\(file) \(which)" }
    }

    /// The oracles each fixture file describes: the two fixed thresholds and the one at the IR optimum.
    static let cases: [OracleCase] = OracleFixtures.names("vmo").flatMap { file in
        ["tight", "separating", "oracle_at_best"].map { OracleCase(file: file, which: $0) }
    }

    @Test("fixture folder holds the three VMO files")
    func fixturesArePresent() {
        #expect(OracleFixtures.isAvailable, "oracle fixtures not found at \(OracleFixtures.directory.path)")
        #expect(OracleFixtures.names("vmo").count == 3)
    }

    @Test("construction and information rate match vmo", arguments: cases)
    func constructionMatchesVmo(testCase: OracleCase) throws {
        let fixture = try OracleFixtures.load(VariableMarkovOracleFixture.self, "vmo", testCase.file)
        let expected: VariableMarkovOracleFields
        let threshold: Double
        if testCase.which == "oracle_at_best" {
            expected = fixture.thresholdSearch.oracleAtBest
            threshold = fixture.thresholdSearch.bestThreshold
        } else {
            expected = try #require(fixture.fixed[testCase.which], "\(testCase.file) has no fixed.\(testCase.which)")
            threshold = try #require(expected.threshold)
        }
        let name = testCase.testDescription

        var oracle = try VariableMarkovOracle(dimension: fixture.dim, threshold: threshold)
        try oracle.append(contentsOf: fixture.frames)

        #expect(oracle.stateCount == expected.nStates, "\(name): n_states")
        expectSameArrays("sfx", oracle.suffixLinks, nullAsMinusOne(expected.sfx), in: name)
        expectSameArrays("lrs", oracle.lrs, expected.lrs, in: name)
        expectSameArrays("data", oracle.labels, nullAsMinusOne(expected.data), in: name)
        expectSameArrays("trn", oracle.transitions, expected.trn, in: name)
        expectSameArrays("rsfx", oracle.reverseSuffixLinks, expected.rsfx, in: name)
        expectSameArrays("latent", oracle.latent, expected.latent, in: name)
        #expect(oracle.maxLRS == expected.maxLrs, "\(name): max_lrs")
        #expect(oracle.labelCount == expected.numClusters, "\(name): num_clusters")

        let rate = informationRate(lrs: oracle.lrs)
        expectSameArrays("ir_cum.h0", rate.h0, expected.irCum.h0, in: name)
        expectSameArrays("ir_cum.h1", rate.h1, expected.irCum.h1, in: name)
        expectSameArrays("ir_cum.ir", rate.ir, expected.irCum.ir, in: name)
        #expect(rate.sum == expected.irCum.irSum, "\(name): ir_sum")
    }

    @Test("threshold search reproduces the IR curve and the best threshold", arguments: OracleFixtures.names("vmo"))
    func thresholdSearchMatchesVmo(file: String) throws {
        let fixture = try OracleFixtures.load(VariableMarkovOracleFixture.self, "vmo", file)
        let search = fixture.thresholdSearch

        let result = try findThreshold(frames: fixture.frames, grid: .musicHalDefault)

        expectSameArrays("thresholds", result.thresholds, search.thresholds, in: file)
        expectSameArrays("ir_sums", result.irSums, search.irSums, in: file)
        #expect(result.threshold == search.bestThreshold, "\(file): best_threshold")
        #expect(result.irSum == search.bestIrSum, "\(file): best_ir_sum")
        #expect(result.labelCounts.count == search.thresholds.count)
    }
}
