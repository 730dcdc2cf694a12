import Foundation

/// Paths shared by the adapter tests.
enum TestPaths {
    /// The package root, found from this source file's location.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The demo recording shipped in Config/demo.
    static let demoRecording = packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path

    /// Ground-truth notes of the demo recording.
    static let demoNotes = packageRoot.appendingPathComponent("Config/demo/minuet-in-g.notes.json")

    /// A fresh private temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("musichal-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Ground truth written by Scripts/make-demo-recording.py.
struct DemoTruth: Decodable {
    struct Note: Decodable {
        let onset_s: Double
        let duration_s: Double
        let midi: Int
    }
    let notes: [Note]

    static func load() throws -> DemoTruth {
        try JSONDecoder().decode(DemoTruth.self, from: Data(contentsOf: TestPaths.demoNotes))
    }
}
