import MusicHalCore
import OracleCore
import Testing

/// Compares the optimised construction (root index, find-better index for long reverse-link lists) with a
/// straightforward transcription of spec §2 that scans every list, on inputs that make those lists long.
@Suite("Construction against a plain reference")
struct ReferenceConstructionTests {
    /// Spec §2, step by step, with linear scans everywhere.
    struct ReferenceOracle {
        var sfx: [Int] = [-1]
        var lrs: [Int] = [0]
        var trn: [[Int]] = [[]]
        var rsfx: [[Int]] = [[]]
        var data: [Int] = [0]

        mutating func append(_ symbol: Int) {
            let i = data.count
            sfx.append(-1)
            lrs.append(0)
            trn.append([])
            rsfx.append([])
            data.append(symbol)
            trn[i - 1].append(i)
            var k = sfx[i - 1]
            var pi = i - 1
            var candidate: Int?
            while k != -1 {
                if let target = trn[k].first(where: { data[$0] == symbol }) {
                    candidate = target
                    break
                }
                trn[k].append(i)
                pi = k
                k = sfx[k]
            }
            guard let matched = candidate else {
                sfx[i] = 0
                rsfx[0].append(i)
                return
            }
            sfx[i] = matched
            lrs[i] = lcs(pi, matched - 1) + 1
            let sigma = data[i - lrs[i]]
            if let better = rsfx[sfx[i]].first(where: { lrs[$0] == lrs[i] && data[$0 - lrs[i]] == sigma }) {
                sfx[i] = better
                lrs[i] += 1
            }
            rsfx[sfx[i]].append(i)
        }

        func lcs(_ first: Int, _ second: Int) -> Int {
            if second == sfx[first] { return lrs[first] }
            var walker = second
            while sfx[walker] != sfx[first] && walker != 0 { walker = sfx[walker] }
            return min(lrs[first], lrs[walker])
        }
    }

    static let inputs: [(name: String, symbols: [Int])] = {
        var inputs: [(String, [Int])] = []
        for seed in UInt64(1)...12 {
            var generator = SeededRandomGenerator(seed: seed)
            let alphabet = [2, 3, 5, 8, 12, 40][Int(seed) % 6]
            let length = Int.random(in: 500...3000, using: &generator)
            inputs.append(
                (
                    "random k\(alphabet) n\(length)",
                    TestData.randomSymbols(
                        count: length, alphabetSize: alphabet, seed: seed)
                ))
        }
        inputs.append(("a x1 a x2 ...", (0..<2000).map { $0 % 2 == 0 ? 0 : $0 }))
        inputs.append(("a b x1 a b x2 ...", (0..<3000).map { $0 % 3 == 2 ? $0 : $0 % 3 }))
        var generator = SeededRandomGenerator(seed: 99)
        let mostlyOne = (0..<2000).map { _ in
            generator.nextUnit() < 0.9 ? 0 : Int.random(in: 1...30, using: &generator)
        }
        inputs.append(("mostly one symbol", mostlyOne))
        return inputs
    }()

    @Test("the Factor Oracle equals the plain reference")
    func factorOracleEqualsReference() {
        for (name, symbols) in Self.inputs {
            var reference = ReferenceOracle()
            var oracle = FactorOracle()
            for symbol in symbols {
                reference.append(symbol)
                oracle.append(symbol)
            }
            expectSameArrays("sfx", oracle.suffixLinks, reference.sfx, in: name)
            expectSameArrays("lrs", oracle.lrs, reference.lrs, in: name)
            expectSameArrays("trn", oracle.transitions, reference.trn, in: name)
            expectSameArrays("rsfx", oracle.reverseSuffixLinks, reference.rsfx, in: name)
        }
        // The inputs must exercise long reverse-link lists, where the index replaces the scan.
        let longest =
            Self.inputs.map { input -> Int in
                var oracle = FactorOracle()
                oracle.append(contentsOf: input.symbols)
                return oracle.reverseSuffixLinks.dropFirst().map(\.count).max() ?? 0
            }.max() ?? 0
        #expect(longest > 100)
    }
}
