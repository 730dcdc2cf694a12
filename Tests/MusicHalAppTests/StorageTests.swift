import Foundation
import Glibc
import ModelFormat
import MusicHalApp
import MusicHalCore
import OracleCore
import Testing

private func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("musichal-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func tinyModel() throws -> MusicHalModel {
    let events = (0..<5).map { (index: Int) -> MusicalEvent in
        MusicalEvent(
            onsetFrame: FrameTime(index * 100), offsetFrame: FrameTime(index * 100 + 50), midiPitch: 60, f0Hz: 261.6,
            pitchConfidence: 0.9, pitches: [60], velocity: 64, levelDB: -20, interOnsetFrames: 100, centroidHz: 500,
            features: FeatureVector([Float(index % 2), 0]))
    }
    var oracle = try VariableMarkovOracle(dimension: 2, threshold: 0.1)
    try oracle.append(contentsOf: events.map { $0.features.values.map(Double.init) })
    let metadata = ModelMetadata(
        musicHalVersion: "test", createdAt: "now", analysisSampleRate: 48_000, featureLayoutVersion: 1,
        thresholdWasAutomatic: false, sources: [])
    return try MusicHalModel(metadata: metadata, events: events, oracle: oracle)
}

@Suite("Files and model storage")
struct StorageTests {
    @Test("atomic writes replace the file whole and leave no temporary behind")
    func atomicWrite() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/sub/dir/file.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/sub/dir") == ["file.bin"])
        #expect(throws: FileWriteError.self) { try AtomicFile.write([1], to: "/proc/musichal-cannot-write/x") }
    }

    @Test("a models directory lists, saves and loads by name only")
    func modelDirectory() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = ModelDirectory(path: directory + "/models")
        #expect(try store.modelNames().isEmpty)
        let model = try tinyModel()
        try store.saveModel(model, named: "piece-1")
        try store.saveModel(model, named: "another")
        #expect(try store.modelNames() == ["another", "piece-1"])
        let loaded = try store.loadModel(named: "piece-1")
        #expect(loaded.events == model.events)
        #expect(throws: ModelFormatError.modelNotFound("missing")) { try store.loadModel(named: "missing") }
        #expect(throws: ModelFormatError.invalidName("../piece-1")) { try store.loadModel(named: "../piece-1") }
        #expect(throws: ModelFormatError.invalidName("/etc/passwd")) {
            try store.saveModel(model, named: "/etc/passwd")
        }
    }

    @Test("a damaged model file is refused with its path in the message")
    func damagedModel() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bad.halmodel"
        try Data("MUSICHAL garbage".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ModelFileIO.read(path: path)
            Issue.record("a damaged model loaded")
        } catch {
            #expect(error.description.hasPrefix(path + ": "))
        }
    }

    @Test("a large model loads while its checksum is checked beside it, and a damaged one reports the checksum")
    func largeModelChecksum() throws {
        // Over a megabyte, so the checksum runs on another core while the decoder works on the same bytes.
        let events = (0..<8000).map { (index: Int) -> MusicalEvent in
            MusicalEvent(
                onsetFrame: FrameTime(index * 100), offsetFrame: FrameTime(index * 100 + 50), midiPitch: 60,
                f0Hz: 261.6, pitchConfidence: 0.9, pitches: [60 + index % 12], velocity: 64, levelDB: -20,
                interOnsetFrames: 100, centroidHz: 500,
                features: FeatureVector((0..<22).map { Float(($0 + index) % 7) * 0.25 }))
        }
        var oracle = try VariableMarkovOracle(dimension: 22, threshold: 0.1)
        try oracle.append(contentsOf: events.map { $0.features.values.map(Double.init) })
        let model = try MusicHalModel(
            metadata: ModelMetadata(
                musicHalVersion: "test", createdAt: "now", analysisSampleRate: 48_000, featureLayoutVersion: 1,
                thresholdWasAutomatic: false, sources: []),
            events: events, oracle: oracle)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/large.halmodel"
        try ModelFileIO.write(model, to: path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.count > 1 << 20)
        let loaded = try ModelFileIO.read(path: path)
        #expect(loaded.events == model.events && loaded.oracle == model.oracle)

        // A changed feature value decodes to a plausible model: only the checksum can tell.
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ModelFileIO.read(path: path)
            Issue.record("a damaged model loaded")
        } catch {
            #expect(error.description == "\(path): \(ModelFormatError.checksumMismatch.description)")
        }
        #expect(throws: ModelFileIO.Failure.self) { try ModelFileIO.read(path: directory) }
    }

    @Test("paths resolve from flag, configuration, systemd and XDG in that order")
    func resolvedPaths() {
        let home = ["HOME": "/home/ana"]
        #expect(ResolvedPaths(environment: home).models == "/home/ana/.local/share/musichal/models")
        #expect(ResolvedPaths(environment: home.merging(["XDG_DATA_HOME": "/data"]) { $1 }).state == "/data/musichal")
        #expect(
            ResolvedPaths(environment: ["STATE_DIRECTORY": "/var/lib/musichal"]).models == "/var/lib/musichal/models")
        let configured = MusicHalConfiguration.Paths(models: "/srv/m", state: "/srv/s")
        #expect(ResolvedPaths(configuration: configured, environment: home).models == "/srv/m")
        #expect(ResolvedPaths(configuration: configured, environment: home).performances == "/srv/s/performances")
        #expect(ResolvedPaths(modelsFlag: "/flag", configuration: configured, environment: home).models == "/flag")
    }

    @Test("the journal is detected only when JOURNAL_STREAM names standard error")
    func journalDetection() {
        #expect(StandardErrorLogHandler.standardErrorIsJournal(environment: [:]) == false)
        #expect(StandardErrorLogHandler.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "1:2"]) == false)
        #expect(StandardErrorLogHandler.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "junk"]) == false)
        var status = stat()
        #expect(fstat(2, &status) == 0)
        let stream = "\(status.st_dev):\(status.st_ino)"
        #expect(StandardErrorLogHandler.standardErrorIsJournal(environment: ["JOURNAL_STREAM": stream]))
    }
}
