import MusicHalCore
import OracleCore
import Testing

/// Structural properties of the vmo construction on seeded random strings.
@Suite("Factor Oracle properties")
struct FactorOraclePropertyTests {
    /// Random strings of varied alphabets and lengths, one per seed.
    static let inputs: [(seed: UInt64, symbols: [Int])] = (UInt64(1)...120).map { seed in
        var generator = SeededRandomGenerator(seed: seed &* 7919)
        let alphabet = Int.random(in: 2...5, using: &generator)
        let length = Int.random(in: 1...240, using: &generator)
        return (seed, TestData.randomSymbols(count: length, alphabetSize: alphabet, seed: seed))
    }

    @Test("suffix links point backwards and LRS is zero exactly at new symbols")
    func suffixLinksAndLRSAreConsistent() {
        for (seed, symbols) in Self.inputs {
            var oracle = FactorOracle()
            oracle.append(contentsOf: symbols)
            #expect(oracle.stateCount == symbols.count + 1)
            #expect(oracle.suffixLinks[0] == -1 && oracle.lrs[0] == 0)
            // The per-state accessors read what the whole arrays hold.
            #expect((0..<oracle.stateCount).map(oracle.suffixLink(of:)) == oracle.suffixLinks)
            #expect((0..<oracle.stateCount).map(oracle.lrs(of:)) == oracle.lrs)
            #expect([0] + (1..<oracle.stateCount).map(oracle.symbol(of:)) == oracle.symbols)
            #expect(oracle.symbols == [0] + symbols)
            var seen = Set<Int>()
            for state in 1..<oracle.stateCount {
                let link = oracle.suffixLink(of: state)
                #expect(link >= 0 && link < state, "seed \(seed) state \(state): sfx \(link)")
                #expect(
                    (oracle.lrs(of: state) == 0) == (link == 0), "seed \(seed) state \(state): lrs/sfx zero mismatch")
                let isNew = seen.insert(symbols[state - 1]).inserted
                #expect(isNew == (link == 0), "seed \(seed) state \(state): sfx 0 must mark a new symbol")
            }
            #expect(oracle.maxLRS == oracle.lrs.max())
        }
    }

    @Test("the suffix of length lrs[i] ending at i really occurs ending at sfx[i]; LRS never exceeds the truth")
    func repeatedSuffixReallyRepeats() {
        for (seed, symbols) in Self.inputs {
            var oracle = FactorOracle()
            oracle.append(contentsOf: symbols)
            for state in 1..<oracle.stateCount {
                let length = oracle.lrs[state]
                let link = oracle.suffixLinks[state]
                guard length > 0 else { continue }
                // State s ends with input s - 1: the suffix of length L ending at s is inputs[s - L ..< s].
                #expect(
                    Array(symbols[(state - length)..<state]) == Array(symbols[(link - length)..<link]),
                    "seed \(seed) state \(state): suffix of length \(length) does not occur ending at \(link)")
                #expect(length <= trueLongestRepeatedSuffix(symbols, endingAt: state), "seed \(seed) state \(state)")
            }
        }
    }

    @Test("every factor of the input is accepted from the root")
    func everyFactorIsAccepted() {
        for (seed, symbols) in Self.inputs where symbols.count <= 120 {
            var oracle = FactorOracle()
            oracle.append(contentsOf: symbols)
            var rejected: [Int]?
            for start in symbols.indices where rejected == nil {
                for end in (start + 1)...symbols.count where !oracle.accepts(symbols[start..<end]) {
                    rejected = Array(symbols[start..<end])
                    break
                }
            }
            #expect(rejected == nil, "seed \(seed): factor \(rejected ?? []) rejected")
        }
    }

    @Test("reverse suffix links are the ascending inverse of the suffix links")
    func reverseSuffixLinksInvertSuffixLinks() {
        for (seed, symbols) in Self.inputs {
            var oracle = FactorOracle()
            oracle.append(contentsOf: symbols)
            var expected = [[Int]](repeating: [], count: oracle.stateCount)
            for state in 1..<oracle.stateCount {
                expected[oracle.suffixLinks[state]].append(state)
            }
            #expect(oracle.reverseSuffixLinks == expected, "seed \(seed)")
            #expect(oracle.transitions[0] == expected[0], "seed \(seed): root transitions = first states")
        }
    }

    @Test("a VMO over one-hot frames with threshold 0.5 has the Factor Oracle's structure")
    func variableMarkovOracleOverSymbolsEqualsFactorOracle() throws {
        for (seed, symbols) in Self.inputs.prefix(40) {
            var factor = FactorOracle()
            factor.append(contentsOf: symbols)
            let alphabet = (symbols.max() ?? 0) + 1
            let frames = symbols.map { symbol in (0..<alphabet).map { $0 == symbol ? 1.0 : 0.0 } }
            var audio = try VariableMarkovOracle(dimension: alphabet, threshold: 0.5)
            try audio.append(contentsOf: frames)
            #expect(audio.suffixLinks == factor.suffixLinks, "seed \(seed)")
            #expect(audio.lrs == factor.lrs, "seed \(seed)")
            #expect(audio.transitions == factor.transitions, "seed \(seed)")
            #expect(audio.labelCount == factor.distinctSymbolCount, "seed \(seed)")
        }
    }

    /// Brute force: the longest suffix ending at `state` that also ends at an earlier position.
    private func trueLongestRepeatedSuffix(_ symbols: [Int], endingAt state: Int) -> Int {
        var best = 0
        for earlier in 1..<state {
            var length = 0
            while length < earlier && symbols[earlier - 1 - length] == symbols[state - 1 - length] {
                length += 1
            }
            best = max(best, length)
        }
        return best
    }
}
