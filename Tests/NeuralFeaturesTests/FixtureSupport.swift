import Foundation
import NeuralFeatures
import Testing

/// Locates the wav2vec2 golden fixtures in `shared/fixtures/w2v`, beside the package checkout, and reads them.
enum W2VFixtures {
    /// `<package root>/../shared/fixtures/w2v`, found from this source file's location.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // NeuralFeaturesTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("../shared/fixtures/w2v")
        .standardizedFileURL

    /// The two model families and the input lengths each has cases for.
    static let families = ["group_postln", "layer_preln"]
    static let lengths = [4000, 5600, 8000]

    /// Reads a fixture file's bytes, failing with the path and a hint when the folder is missing.
    static func bytes(_ relativePath: String) throws -> [UInt8] {
        let url = directory.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let hint =
                FileManager.default.fileExists(atPath: directory.path)
                ? "" : " (the fixture folder \(directory.path) is missing: shared/ must sit beside the checkout)"
            throw FixtureError("wav2vec2 fixture not found: \(url.path)\(hint)")
        }
        return [UInt8](data)
    }

    /// Reads a raw little-endian float32 file.
    static func floats(_ relativePath: String) throws -> [Float] {
        let raw = try bytes(relativePath)
        guard raw.count % 4 == 0 else { throw FixtureError("\(relativePath) is not a whole number of floats") }
        return (0..<(raw.count / 4)).map { i in
            Float(
                bitPattern: UInt32(raw[4 * i]) | UInt32(raw[4 * i + 1]) << 8 | UInt32(raw[4 * i + 2]) << 16
                    | UInt32(raw[4 * i + 3]) << 24)
        }
    }

    /// Parses a fixture JSON file with the module's own parser.
    static func json(_ relativePath: String) throws -> JSONValue {
        try JSONValue.parse(try bytes(relativePath), file: relativePath)
    }

    /// The configuration of `family`.
    static func configuration(_ family: String) throws -> Wav2Vec2Configuration {
        try Wav2Vec2Configuration(json: json("\(family)/config.json"), file: "\(family)/config.json")
    }

    /// Loads `family` from `weights` (either naming of the weights file).
    static func model(_ family: String, weights: String = "model.safetensors") throws -> Wav2Vec2Model {
        let path = "\(family)/\(weights)"
        let archive = try SafetensorsArchive(storage: ArrayByteStorage(bytes(path)), label: path)
        let preprocessing = try Wav2Vec2Preprocessing(
            json: json("\(family)/preprocessor_config.json"), file: "\(family)/preprocessor_config.json")
        return try Wav2Vec2Model(configuration: configuration(family), preprocessing: preprocessing, weights: archive)
    }

    /// The raw input wave of `length` samples.
    static func wave(_ length: Int) throws -> [Float] { try floats("inputs/wave_\(length).raw.f32") }
}

/// A fixture could not be found or read.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Largest absolute difference between two equally long arrays (infinity when the lengths differ).
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var worst: Float = 0
    for i in a.indices {
        let d = abs(a[i] - b[i])
        if d.isNaN { return .infinity }
        worst = max(worst, d)
    }
    return worst
}

/// Builds a safetensors file from tensors given as (name, dtype, shape, raw little-endian bytes).
func makeSafetensors(_ tensors: [(String, String, [Int], [UInt8])], metadata: Bool = true, alignHeader: Bool = true)
    -> [UInt8]
{
    var data: [UInt8] = []
    var fields: [String] = metadata ? ["\"__metadata__\":{\"format\":\"pt\"}"] : []
    for (name, dtype, shape, bytes) in tensors {
        let shapeText = shape.map(String.init).joined(separator: ",")
        fields.append(
            "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shapeText)],"
                + "\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}"
        )
        data += bytes
    }
    var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
    if alignHeader {
        while header.count % 8 != 0 { header.append(0x20) }
    }
    var file: [UInt8] = []
    var length = UInt64(header.count)
    for _ in 0..<8 {
        file.append(UInt8(length & 0xFF))
        length >>= 8
    }
    return file + header + data
}

/// Little-endian bytes of float32 values.
func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value -> [UInt8] in
        let bits = value.bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
    }
}
