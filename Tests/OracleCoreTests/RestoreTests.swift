import MusicHalCore
import OracleCore
import Testing

/// Rebuilding oracles from stored arrays (model files): round trips and rejection of corrupt arrays.
@Suite("Restore from stored arrays")
struct RestoreTests {
    static func sampleAudioOracle() throws -> VariableMarkovOracle {
        let data = TestData.clusteredFrames(count: 200, dimension: 6, clusterCount: 8, noise: 0.3, seed: 42)
        var oracle = try VariableMarkovOracle(dimension: 6, threshold: 1.0)
        try oracle.append(contentsOf: data.frames)
        return oracle
    }

    static func restore(
        _ oracle: VariableMarkovOracle, frames: [Double]? = nil, suffixLinks: [Int]? = nil, lrs: [Int]? = nil,
        transitions: [[Int]]? = nil, labels: [Int]? = nil
    ) throws(OracleError) -> VariableMarkovOracle {
        try VariableMarkovOracle(
            dimension: oracle.dimension, threshold: oracle.threshold, frames: frames ?? oracle.flatFrames,
            suffixLinks: suffixLinks ?? oracle.suffixLinks, lrs: lrs ?? oracle.lrs,
            transitions: transitions ?? oracle.transitions, labels: labels ?? oracle.labels)
    }

    @Test("a VMO restored from its arrays equals the original and keeps growing identically")
    func audioOracleRoundTrip() throws {
        let data = TestData.clusteredFrames(count: 300, dimension: 6, clusterCount: 8, noise: 0.3, seed: 42)
        var original = try VariableMarkovOracle(dimension: 6, threshold: 1.0)
        try original.append(contentsOf: Array(data.frames.prefix(200)))

        var restored = try Self.restore(original)
        #expect(restored == original)
        #expect(restored.latent == original.latent)
        #expect(restored.reverseSuffixLinks == original.reverseSuffixLinks)
        #expect(restored.maxLRS == original.maxLRS)

        let rest = Array(data.frames.dropFirst(200))
        try original.append(contentsOf: rest)
        try restored.append(contentsOf: rest)
        #expect(restored == original)
    }

    @Test("the nested-frame initializer equals the contiguous one")
    func nestedFramesRestore() throws {
        let original = try Self.sampleAudioOracle()
        let nested = (1..<original.stateCount).map { Array(original.frame(of: $0)) }
        let restored = try VariableMarkovOracle(
            dimension: original.dimension, threshold: original.threshold, frames: nested,
            suffixLinks: original.suffixLinks, lrs: original.lrs, transitions: original.transitions,
            labels: original.labels)
        #expect(restored == original)
    }

    @Test("every golden VMO restores to itself", arguments: OracleFixtures.names("vmo"))
    func goldenAudioOraclesRestore(file: String) throws {
        let fixture = try OracleFixtures.load(VariableMarkovOracleFixture.self, "vmo", file)
        let fields = fixture.thresholdSearch.oracleAtBest
        let restored = try VariableMarkovOracle(
            dimension: fixture.dim, threshold: fixture.thresholdSearch.bestThreshold, frames: fixture.frames,
            suffixLinks: nullAsMinusOne(fields.sfx), lrs: fields.lrs, transitions: fields.trn,
            labels: nullAsMinusOne(fields.data))
        #expect(restored.latent == fields.latent)
        #expect(restored.reverseSuffixLinks == fields.rsfx)
        #expect(restored.maxLRS == fields.maxLrs)
    }

    @Test("a Factor Oracle restored from its arrays equals the original and keeps growing identically")
    func factorOracleRoundTrip() throws {
        let symbols = TestData.randomSymbols(count: 400, alphabetSize: 4, seed: 9)
        var original = FactorOracle()
        original.append(contentsOf: symbols.prefix(250))
        var restored = try FactorOracle(
            symbols: original.symbols, suffixLinks: original.suffixLinks, lrs: original.lrs,
            transitions: original.transitions)
        #expect(restored == original)
        original.append(contentsOf: symbols.dropFirst(250))
        restored.append(contentsOf: symbols.dropFirst(250))
        #expect(restored == original)
    }

    @Test("corrupt suffix links are rejected")
    func corruptSuffixLinks() throws {
        let oracle = try Self.sampleAudioOracle()
        var links = oracle.suffixLinks
        links[50] = 50
        #expect(throws: OracleError.self) { try Self.restore(oracle, suffixLinks: links) }
        do {
            _ = try Self.restore(oracle, suffixLinks: links)
        } catch {
            guard case .inconsistentStructure(.suffixLinks, 50, _) = error else {
                Issue.record("wrong error: \(error)")
                return
            }
        }
        links = oracle.suffixLinks
        links[0] = 0
        #expect(throws: OracleError.self) { try Self.restore(oracle, suffixLinks: links) }
        #expect(throws: OracleError.lengthMismatch(field: .suffixLinks, expected: 201, actual: 200)) {
            try Self.restore(oracle, suffixLinks: Array(oracle.suffixLinks.dropLast()))
        }
    }

    @Test("corrupt LRS values are rejected")
    func corruptLRS() throws {
        let oracle = try Self.sampleAudioOracle()
        let state = try #require((1..<oracle.stateCount).first { oracle.lrs[$0] > 0 })
        for badValue in [-1, 0, oracle.suffixLinks[state] + 1] {
            var lrs = oracle.lrs
            lrs[state] = badValue
            #expect(inconsistentState(of: .lrs) { try Self.restore(oracle, lrs: lrs) } == state, "lrs \(badValue)")
        }
        #expect(throws: OracleError.lengthMismatch(field: .lrs, expected: 201, actual: 202)) {
            try Self.restore(oracle, lrs: oracle.lrs + [0])
        }
    }

    @Test("corrupt transitions are rejected")
    func corruptTransitions() throws {
        let oracle = try Self.sampleAudioOracle()
        var transitions = oracle.transitions
        transitions[10].append(oracle.stateCount)  // out of range
        #expect(inconsistentState(of: .transitions) { try Self.restore(oracle, transitions: transitions) } == 10)

        transitions = oracle.transitions
        transitions[10].append(5)  // backwards
        #expect(inconsistentState(of: .transitions) { try Self.restore(oracle, transitions: transitions) } == 10)

        transitions = oracle.transitions
        transitions[20].removeFirst()  // missing the literal continuation
        #expect(inconsistentState(of: .transitions) { try Self.restore(oracle, transitions: transitions) } == 20)

        transitions = oracle.transitions
        transitions[0].removeLast()  // root no longer lists every label
        #expect(inconsistentState(of: .transitions) { try Self.restore(oracle, transitions: transitions) } == 0)

        #expect(throws: OracleError.lengthMismatch(field: .transitions, expected: 201, actual: 200)) {
            try Self.restore(oracle, transitions: Array(oracle.transitions.dropLast()))
        }
    }

    @Test("corrupt labels are rejected")
    func corruptLabels() throws {
        let oracle = try Self.sampleAudioOracle()
        let repeated = try #require((1..<oracle.stateCount).first { oracle.suffixLinks[$0] > 0 })
        var labels = oracle.labels
        labels[repeated] = oracle.labelCount + 5  // out of range
        #expect(inconsistentState(of: .labels) { try Self.restore(oracle, labels: labels) } == repeated)

        let newLabelState = try #require((2..<oracle.stateCount).first { oracle.suffixLinks[$0] == 0 })
        labels = oracle.labels
        labels[newLabelState] = 0  // reuses label 0 at a state that starts a label
        #expect(inconsistentState(of: .labels) { try Self.restore(oracle, labels: labels) } == newLabelState)

        labels = oracle.labels
        labels[0] = 0
        #expect(inconsistentState(of: .labels) { try Self.restore(oracle, labels: labels) } == 0)
    }

    @Test("corrupt frames are rejected")
    func corruptFrames() throws {
        let oracle = try Self.sampleAudioOracle()
        var frames = oracle.flatFrames
        frames[13] = .nan
        #expect(throws: OracleError.nonFiniteFeature(frame: 2, component: 1)) {
            try Self.restore(oracle, frames: frames)
        }
        #expect(throws: OracleError.lengthMismatch(field: .frames, expected: 1200, actual: 1199)) {
            try Self.restore(oracle, frames: Array(oracle.flatFrames.dropLast()))
        }
        #expect(throws: OracleError.invalidThreshold(-1)) {
            try VariableMarkovOracle(
                dimension: 6, threshold: -1, frames: oracle.flatFrames, suffixLinks: oracle.suffixLinks,
                lrs: oracle.lrs, transitions: oracle.transitions, labels: oracle.labels)
        }
    }

    @Test("corrupt Factor Oracle symbols are rejected")
    func corruptSymbols() throws {
        var oracle = FactorOracle()
        oracle.append(contentsOf: TestData.randomSymbols(count: 100, alphabetSize: 3, seed: 3))
        var symbols = oracle.symbols
        let repeated = try #require((1..<oracle.stateCount).first { oracle.suffixLinks[$0] > 0 })
        symbols[repeated] = 99
        do {
            _ = try FactorOracle(
                symbols: symbols, suffixLinks: oracle.suffixLinks, lrs: oracle.lrs, transitions: oracle.transitions)
            Issue.record("corrupt symbols accepted")
        } catch {
            guard case .inconsistentStructure(.symbols, repeated, _) = error else {
                Issue.record("wrong error: \(error)")
                return
            }
        }
        #expect(throws: OracleError.lengthMismatch(field: .lrs, expected: 101, actual: 100)) {
            try FactorOracle(
                symbols: oracle.symbols, suffixLinks: oracle.suffixLinks, lrs: Array(oracle.lrs.dropLast()),
                transitions: oracle.transitions)
        }
    }

    /// The state of the `.inconsistentStructure` error for `field` that `body` throws, or nil otherwise.
    private func inconsistentState(of field: OracleField, _ body: () throws -> VariableMarkovOracle) -> Int? {
        do {
            _ = try body()
            return nil
        } catch {
            if case .inconsistentStructure(field, let state, _) = error as? OracleError { return state }
            Issue.record("unexpected error: \(error)")
            return nil
        }
    }
}
