import ModelFormat
import MusicHalCore
import OracleCore
import Testing

/// A small but real model: events with varied fields and an oracle over their features.
func sampleModel(eventCount: Int = 40, seed: UInt64 = 7) throws -> MusicHalModel {
    var random = SeededRandomGenerator(seed: seed)
    var events: [MusicalEvent] = []
    for index in 0..<eventCount {
        let cluster = Int(random.next() % 5)
        let features = (0..<22).map { dimension in
            Float(dimension == cluster ? 1 : 0) + Float(random.nextUnit() * 0.05)
        }
        let pitched = index % 7 != 3
        events.append(
            MusicalEvent(
                onsetFrame: FrameTime(index * 9600), offsetFrame: FrameTime(index * 9600 + 8000),
                midiPitch: pitched ? 60 + Double(cluster) + 0.1 : nil, f0Hz: pitched ? 262 : nil,
                pitchConfidence: pitched ? 0.95 : 0, pitches: pitched ? [60 + cluster] : [],
                velocity: UInt8(40 + index % 60), levelDB: -20, interOnsetFrames: index == 0 ? 0 : 9600,
                centroidHz: 900, features: FeatureVector(features)))
    }
    var oracle = try VariableMarkovOracle(dimension: 22, threshold: 0.3)
    try oracle.append(contentsOf: events.map { $0.features.values.map(Double.init) })
    let metadata = ModelMetadata(
        musicHalVersion: "0.1.0", createdAt: "2026-11-22T12:00:00Z", analysisSampleRate: 48_000,
        featureLayoutVersion: 1, thresholdWasAutomatic: false,
        sources: [
            ModelSource(
                name: "take1.flac", contentHash: "fnv1a64:0123456789abcdef", durationSeconds: 8.5,
                eventCount: eventCount)
        ],
        parameters: ["hop_seconds": "0.005", "feature_dimension": "22"])
    return try MusicHalModel(metadata: metadata, events: events, oracle: oracle)
}

@Suite("Model file format")
struct ModelFileTests {
    @Test("a model survives encoding and decoding unchanged")
    func roundTrip() throws {
        let model = try sampleModel()
        let decoded = try ModelFile.decode(ModelFile.encode(model))
        #expect(decoded.metadata == model.metadata)
        #expect(decoded.events == model.events)
        #expect(decoded.oracle == model.oracle)
        #expect(decoded.symbolCount == model.symbolCount)
    }

    @Test("the file starts with the magic and the format version, little-endian")
    func header() throws {
        let bytes = ModelFile.encode(try sampleModel(eventCount: 3))
        #expect(Array(bytes[0..<8]) == Array("MUSICHAL".utf8))
        #expect(Array(bytes[8..<12]) == [1, 0, 0, 0])
    }

    @Test("another format version is refused with a message naming both versions")
    func otherVersion() throws {
        var bytes = ModelFile.encode(try sampleModel(eventCount: 3))
        bytes[8] = 7
        #expect(throws: ModelFormatError.unsupportedVersion(found: 7, supported: 1)) { try ModelFile.decode(bytes) }
        let message = ModelFormatError.unsupportedVersion(found: 7, supported: 1).description
        #expect(message.contains("7") && message.contains("1"))
    }

    @Test("foreign and empty files are not models")
    func foreign() {
        #expect(throws: ModelFormatError.notAModel) { try ModelFile.decode([]) }
        #expect(throws: ModelFormatError.notAModel) { try ModelFile.decode(Array("RIFF....WAVEfmt ".utf8)) }
    }

    @Test("every truncation of a model file is refused cleanly")
    func truncations() throws {
        let bytes = ModelFile.encode(try sampleModel(eventCount: 12))
        for length in 0..<bytes.count {
            #expect(throws: ModelFormatError.self) { try ModelFile.decode(Array(bytes[0..<length])) }
        }
    }

    @Test("a thousand random bit flips are each refused, never a crash")
    func bitFlips() throws {
        let bytes = ModelFile.encode(try sampleModel(eventCount: 30))
        var random = SeededRandomGenerator(seed: 99)
        var refused = 0
        for _ in 0..<1000 {
            var damaged = bytes
            let flips = 1 + Int(random.next() % 4)
            for _ in 0..<flips {
                let index = Int(random.next() % UInt64(bytes.count))
                damaged[index] ^= UInt8(1 << (random.next() % 8))
            }
            do {
                _ = try ModelFile.decode(damaged)
            } catch {
                refused += 1
            }
        }
        #expect(refused == 1000)
    }

    @Test("a file whose checksum was recomputed over bad lengths is still refused")
    func badLengthsWithValidChecksum() throws {
        var bytes = ModelFile.encode(try sampleModel(eventCount: 10))
        // Section count claims far more sections than exist.
        bytes[20] = 0xFF
        let body = Array(bytes[0..<(bytes.count - 4)])
        let crc = CRC32.checksum(body)
        bytes.replaceSubrange((bytes.count - 4)..., with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        #expect(throws: ModelFormatError.self) { try ModelFile.decode(bytes) }
    }

    @Test("a thousand mutations behind a recomputed checksum are refused or decode to a consistent model")
    func mutationsWithValidChecksum() throws {
        // Loads decode while another core checks the checksum, so the decoder meets damaged bytes: it must refuse
        // them or produce a model that survives its own round trip, and never trap.
        let bytes = ModelFile.encode(try sampleModel(eventCount: 30))
        var random = SeededRandomGenerator(seed: 2026)
        var refused = 0
        var refusedTruncations = 0
        for round in 0..<1000 {
            var body = Array(bytes[0..<(bytes.count - 4)])
            switch round % 4 {
            case 0:
                let index = Int(random.next() % UInt64(body.count))
                body[index] ^= UInt8(1 << (random.next() % 8))
            case 1:
                let index = Int(random.next() % UInt64(body.count))
                body[index] = [0x00, 0xFF, 0x7F, 0x80][Int(random.next() % 4)]
            case 2:
                body.removeLast(1 + Int(random.next() % UInt64(body.count / 2)))
            default:
                let index = Int(random.next() % UInt64(body.count - 4))
                let value = UInt32(truncatingIfNeeded: random.next())
                body.replaceSubrange(index..<(index + 4), with: withUnsafeBytes(of: value) { Array($0) })
            }
            body += withUnsafeBytes(of: CRC32.checksum(body).littleEndian) { Array($0) }
            do {
                let model = try ModelFile.decode(body)
                let again = try ModelFile.decode(ModelFile.encode(model))
                #expect(again.events == model.events && again.oracle == model.oracle)
            } catch {
                refused += 1
                if round % 4 == 2 { refusedTruncations += 1 }
            }
        }
        // A changed feature value or timing can still make a valid model; a cut file never does.
        #expect(refusedTruncations == 250)
        #expect(refused > 250)
    }

    @Test("CRC-32 matches the standard check value")
    func crc() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test(
        "model names refuse paths, hidden files and odd characters",
        arguments: [
            "../x", "/etc/passwd", "a/b", ".hidden", "", "name with space", "ünicode",
            String(repeating: "a", count: 129),
        ])
    func invalidNames(name: String) {
        #expect(throws: ModelFormatError.invalidName(name)) { try ModelName.validated(name) }
    }

    @Test("ordinary model names are accepted", arguments: ["set1", "Bach-Minuet_2.v3", "a"])
    func validNames(name: String) throws {
        #expect(try ModelName.validated(name) == name)
    }

    @Test("live learning extends corpus and oracle together, and nothing changes on bad input")
    func learning() throws {
        var model = try sampleModel(eventCount: 10)
        let extra = try sampleModel(eventCount: 3, seed: 8).events
        try model.learn(extra)
        #expect(model.events.count == 13)
        #expect(model.oracle.inputCount == 13)
        var bad = extra[0]
        bad.features = FeatureVector([Float](repeating: .nan, count: 22))
        #expect(throws: OracleError.self) { try model.learn([bad]) }
        #expect(model.events.count == 13)
        #expect(model.oracle.inputCount == 13)
    }
}
