import Foundation
import OracleCore
import Testing

/// vmo 0.30.5 Factor Oracle fixtures reproduced state for state.
@Suite("Factor Oracle golden fixtures")
struct GoldenFactorOracleTests {
    @Test("fixture folder is present and complete")
    func fixturesArePresent() {
        #expect(OracleFixtures.isAvailable, "oracle fixtures not found at \(OracleFixtures.directory.path)")
        #expect(OracleFixtures.names("fo").count >= 14, "expected at least 14 FO fixtures")
    }

    @Test("construction matches vmo", arguments: OracleFixtures.names("fo"))
    func constructionMatchesVmo(file: String) throws {
        let fixture = try OracleFixtures.load(FactorOracleFixture.self, "fo", file)
        var oracle = FactorOracle()
        oracle.append(contentsOf: fixture.symbols)

        #expect(oracle.stateCount == fixture.nStates, "\(file): n_states")
        expectSameArrays("sfx", oracle.suffixLinks, nullAsMinusOne(fixture.sfx), in: file)
        expectSameArrays("lrs", oracle.lrs, fixture.lrs, in: file)
        expectSameArrays("data", oracle.symbols, fixture.data.map(\.symbol), in: file)
        expectSameArrays("trn", oracle.transitions, fixture.trn, in: file)
        expectSameArrays("rsfx", oracle.reverseSuffixLinks, fixture.rsfx, in: file)
        #expect(oracle.maxLRS == fixture.maxLrs, "\(file): max_lrs")
        #expect(oracle.distinctSymbolCount == fixture.numClusters, "\(file): num_clusters")
    }

    @Test("building one symbol at a time equals building the whole sequence", arguments: OracleFixtures.names("fo"))
    func incrementalEqualsBatch(file: String) throws {
        let symbols = try OracleFixtures.load(FactorOracleFixture.self, "fo", file).symbols
        var batch = FactorOracle()
        batch.append(contentsOf: symbols)
        var incremental = FactorOracle()
        for (index, symbol) in symbols.enumerated() {
            #expect(incremental.append(symbol) == index + 1)
        }
        #expect(batch == incremental)
    }
}
