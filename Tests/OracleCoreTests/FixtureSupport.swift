import Foundation
import Testing

/// Locates and decodes the golden oracle fixtures in `shared/fixtures/oracle`, beside the package checkout.
///
/// Decoding goes through `JSONDecoder`, which reads shortest round-trip decimals exactly (`JSONSerialization`
/// on Linux loses the last bit of some values).
enum OracleFixtures {
    /// `<package root>/../shared/fixtures/oracle`, found from this source file's location.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // OracleCoreTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("../shared/fixtures/oracle")
        .standardizedFileURL

    /// Whether the fixture folder exists.
    static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("fo").path)
            && FileManager.default.fileExists(atPath: directory.appendingPathComponent("vmo").path)
    }

    /// Names of the JSON fixtures in `kind` (`"fo"` or `"vmo"`), `index.json` excluded, sorted.
    static func names(_ kind: String) -> [String] {
        let folder = directory.appendingPathComponent(kind)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".json") && $0 != "index.json" }.sorted()
    }

    /// Decodes fixture `kind/name`, failing with the path when it is missing or malformed.
    static func load<Fixture: Decodable>(_ type: Fixture.Type, _ kind: String, _ name: String) throws -> Fixture {
        let url = directory.appendingPathComponent(kind).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FixtureError("oracle fixture not found at \(url.path); expected shared/ beside the package checkout")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw FixtureError("cannot decode \(url.path): \(error)")
        }
    }
}

/// A fixture problem reported as a test failure.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A JSON value that is either an integer or a one-character string (FO `data`: `0` then the characters).
enum SymbolValue: Decodable, Equatable {
    case number(Int)
    case character(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .number(number)
        } else {
            self = .character(try container.decode(String.self))
        }
    }

    /// The symbol as MusicHal encodes it: the number, or the character's Unicode scalar value.
    var symbol: Int {
        switch self {
        case .number(let number): return number
        case .character(let text): return text.unicodeScalars.first.map { Int($0.value) } ?? -99
        }
    }
}

/// One `fo/<name>.json` fixture.
struct FactorOracleFixture: Decodable {
    let sequence: String
    let nStates: Int
    let sfx: [Int?]
    let lrs: [Int]
    let trn: [[Int]]
    let rsfx: [[Int]]
    let data: [SymbolValue]
    let maxLrs: Int
    let numClusters: Int

    /// The input sequence as symbols (Unicode scalar values).
    var symbols: [Int] { sequence.unicodeScalars.map { Int($0.value) } }
}

/// `ir_cum` of a VMO fixture.
struct InformationRateFixture: Decodable {
    let ir: [Double]
    let h0: [Double]
    let h1: [Double]
    let irSum: Double
}

/// The oracle fields of a VMO fixture (`fixed.tight`, `fixed.separating`, `threshold_search.oracle_at_best`).
struct VariableMarkovOracleFields: Decodable {
    let threshold: Double?
    let nStates: Int
    let sfx: [Int?]
    let lrs: [Int]
    let trn: [[Int]]
    let rsfx: [[Int]]
    let data: [Int?]
    let maxLrs: Int
    let numClusters: Int
    let latent: [[Int]]
    let irCum: InformationRateFixture
}

/// `threshold_search` of a VMO fixture.
struct ThresholdSearchFixture: Decodable {
    let thresholds: [Double]
    let irSums: [Double]
    let bestThreshold: Double
    let bestIrSum: Double
    let oracleAtBest: VariableMarkovOracleFields
}

/// One `vmo/<name>.json` fixture.
struct VariableMarkovOracleFixture: Decodable {
    let dim: Int
    let n: Int
    let frames: [[Double]]
    let fixed: [String: VariableMarkovOracleFields]
    let thresholdSearch: ThresholdSearchFixture
}

/// Describes the first state where two per-state arrays differ, or nil when they are equal.
func firstDifference<Element: Equatable>(_ field: String, actual: [Element], expected: [Element]) -> String? {
    for index in 0..<min(actual.count, expected.count) where actual[index] != expected[index] {
        return "\(field) differs first at state \(index): got \(actual[index]), expected \(expected[index])"
    }
    if actual.count != expected.count {
        return "\(field) has \(actual.count) entries, expected \(expected.count)"
    }
    return nil
}

/// Records a failure naming the first differing state when two per-state arrays differ.
func expectSameArrays<Element: Equatable>(
    _ field: String, _ actual: [Element], _ expected: [Element], in fixture: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let difference = firstDifference(field, actual: actual, expected: expected)
    #expect(difference == nil, "\(fixture): \(difference ?? "")", sourceLocation: sourceLocation)
}

/// `null` (the root's missing entry) as `-1`, the convention of `OracleCore`.
func nullAsMinusOne(_ values: [Int?]) -> [Int] { values.map { $0 ?? -1 } }
