import Foundation
import Testing

/// `musichal oracle` against vmo's golden files: the same structure, printed in vmo's conventions.
@Suite("musichal oracle against vmo fixtures", .serialized)
struct OracleCommandTests {
    private static let fixtures = CommandRunner.packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/oracle")

    private func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// Integers from a JSON array whose entries may be null (kept as nil).
    private func ints(_ value: Any?) -> [Int?] {
        (value as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue }
    }

    private func intLists(_ value: Any?) -> [[Int]] {
        (value as? [[Any]] ?? []).map { $0.compactMap { ($0 as? NSNumber)?.intValue } }
    }

    @Test("continuous input reproduces the VMO fixtures at both fixed thresholds")
    func continuous() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let fixture = Self.fixtures.appendingPathComponent("vmo/clusters_d12_n300_s1201.json")
        // Frames are re-read exactly (JSONDecoder) inside musichal; hand it the fixture file itself.
        for case_ in ["tight", "separating"] {
            let expected = try #require(try json(fixture)["fixed"] as? [String: Any])[case_] as? [String: Any]
            let threshold = try #require(expected?["threshold"] as? NSNumber).doubleValue
            let result = try runner.run(["oracle", "--frames", fixture.path, "--threshold", "\(threshold)"])
            #expect(result.status == 0, "\(result.standardError)")
            let printed = try #require(
                try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
            #expect(ints(expected?["sfx"]).count == 301)  // the comparison below is not vacuous
            #expect(ints(printed["sfx"]) == ints(expected?["sfx"]), "\(case_) sfx")
            #expect(ints(printed["lrs"]) == ints(expected?["lrs"]), "\(case_) lrs")
            #expect(intLists(printed["trn"]) == intLists(expected?["trn"]), "\(case_) trn")
            #expect(intLists(printed["rsfx"]) == intLists(expected?["rsfx"]), "\(case_) rsfx")
            #expect(ints(printed["symbols"]) == ints(expected?["data"]), "\(case_) symbols")
        }
    }

    @Test("--threshold auto finds vmo's best threshold and IR sum over the default grid")
    func automatic() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let fixture = Self.fixtures.appendingPathComponent("vmo/clusters_d12_n300_s1201.json")
        let search = try #require(try json(fixture)["threshold_search"] as? [String: Any])
        let result = try runner.run(["oracle", "--frames", fixture.path, "--threshold", "auto"])
        #expect(result.status == 0, "\(result.standardError)")
        let printed = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let best = try #require(search["best_threshold"] as? NSNumber).doubleValue
        let ir = try #require(search["best_ir_sum"] as? NSNumber).doubleValue
        #expect(abs(try #require(printed["threshold"] as? NSNumber).doubleValue - best) < 1e-9)
        #expect(abs(try #require(printed["ir"] as? NSNumber).doubleValue - ir) < 1e-6)
        let atBest = try #require(search["oracle_at_best"] as? [String: Any])
        #expect(ints(atBest["sfx"]).count == 301)
        #expect(ints(printed["sfx"]) == ints(atBest["sfx"]))
    }

    @Test("symbolic input reproduces the Factor Oracle fixtures")
    func symbolic() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        for name in ["abbcabcdabc", "aabbaaabaaba", "rand_k4_n200_s6"] {
            let fixture = try json(Self.fixtures.appendingPathComponent("fo/\(name).json"))
            let sequence = try #require(fixture["sequence"] as? String)
            let alphabet = Array(Set(sequence)).sorted()
            let symbols = sequence.map { alphabet.firstIndex(of: $0)! }
            let input = runner.home.appendingPathComponent("\(name).json")
            try JSONSerialization.data(withJSONObject: ["symbols": symbols]).write(to: input)
            let result = try runner.run(["oracle", "--symbols", input.path])
            #expect(result.status == 0, "\(result.standardError)")
            let printed = try #require(
                try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
            #expect(ints(fixture["sfx"]).count == sequence.count + 1)
            #expect(ints(printed["sfx"]) == ints(fixture["sfx"]), "\(name) sfx")
            #expect(ints(printed["lrs"]) == ints(fixture["lrs"]), "\(name) lrs")
            #expect(intLists(printed["trn"]) == intLists(fixture["trn"]), "\(name) trn")
            #expect(intLists(printed["rsfx"]) == intLists(fixture["rsfx"]), "\(name) rsfx")
        }
    }

    @Test(
        "bad input is one clear error",
        arguments: [
            ("{\"frames\": []}", "is empty"), ("{\"frames\": [[1, 2], [3]]}", "frame 1 has 1 values"),
            ("{\"frames\": [[1, \"x\"]]}", "not the expected JSON"), ("[1, 2, 3]", "not the expected JSON"),
        ])
    func badInput(text: String, words: String) throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let input = runner.home.appendingPathComponent("bad.json")
        try text.write(to: input, atomically: true, encoding: .utf8)
        let result = try runner.run(["oracle", "--frames", input.path, "--threshold", "0.5"])
        #expect(result.status != 0)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(words) == true, "\(result.standardError)")
    }
}
