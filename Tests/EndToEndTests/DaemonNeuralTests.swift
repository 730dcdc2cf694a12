import Foundation
import Testing

@Suite("musichal run with live neural tokens (JACK dummy server)", .serialized)
struct DaemonNeuralTests {
    static let checkpoint = CommandRunner.packageRoot
        .appendingPathComponent("../shared/fixtures/w2v/group_postln").standardizedFileURL.path

    /// The daemon's `/hal/status/encoder` and its detail, from `musichal ctl`.
    static func encoderState(_ daemon: DaemonHarness) throws -> (String, String, Int) {
        let result = try daemon.runner.run(["ctl", "--port", String(daemon.port), "--timeout", "1", "/hal/status"])
        func field(_ address: String) -> String {
            let line = result.standardOutput.split(separator: "\n").first { $0.hasPrefix(address + " ") } ?? ""
            return String(line.dropFirst(address.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return (
            field("/hal/status/encoder"), field("/hal/status/encoder/detail"),
            Int(field("/hal/status/encoder/tokens")) ?? -1
        )
    }

    /// Trains the demo recording with the fixture checkpoint, runs the daemon on it with `deadline` ms, plays
    /// notes into it, and returns the encoder state it reports afterwards.
    static func perform(deadline: Int) throws -> (String, String, Int) {
        let jack = try DummyJACKServer(period: 256)
        defer { jack.shutDown() }
        let setup = try CommandRunner()
        defer { setup.cleanUp() }
        let recording = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path
        let models = setup.home.appendingPathComponent("models").path
        let trained = try setup.run([
            "train", recording, "-o", "minuet", "--models-dir", models, "--neural", checkpoint, "--vocabulary", "16",
        ])
        #expect(trained.status == 0, "\(trained.standardError)")
        #expect(trained.standardOutput.contains("neural tokens used"))
        let configuration =
            DaemonJACKTests.configuration(server: jack.name, model: "minuet")
            .replacingOccurrences(of: "audio:", with: "paths: {models: \(models)}\naudio:")
            + "neural: {checkpoint: \(checkpoint), deadline_ms: \(deadline), failure_limit: 2, retry_seconds: 60}\n"
        let daemon = try DaemonHarness(configuration: configuration)
        defer { daemon.cleanUp() }
        #expect(daemon.notify.wait(for: "READY=1") != nil, "daemon not ready")
        let before = try encoderState(daemon)
        #expect(before.0 == "ok", "before playing: \(before)")
        let peer = try DaemonJACKTests.runPeer(server: jack.name, seconds: 6, notes: 12)
        #expect(peer.noteOns.count >= 4, "the agent hardly played: \(peer.noteOns.count) notes")
        Thread.sleep(forTimeInterval: 0.5)
        return try encoderState(daemon)
    }

    @Test("tokens stay ok when the encoder keeps its deadline")
    func inTime() throws {
        let (state, detail, tokens) = try Self.perform(deadline: 5000)
        #expect(state == "ok", "\(state): \(detail)")
        #expect(tokens >= 6, "only \(tokens) tokens for 12 notes")
    }

    @Test("an encoder that misses its deadline is reported degraded, and the agent keeps playing")
    func degraded() throws {
        let (state, detail, _) = try Self.perform(deadline: 1)
        #expect(state == "degraded", "\(state): \(detail)")
        #expect(detail.contains("deadline") || detail.contains("waited"), "\(detail)")
    }

    @Test("a model trained without --neural leaves tokens off with the reason; a bad checkpoint does not stop it")
    func offWithReason() throws {
        let daemon = try DaemonHarness(
            configuration: "audio: {backend: none}\nmidi: {backend: none}\nneural: {checkpoint: /nonexistent/w2v}\n")
        defer { daemon.cleanUp() }
        #expect(daemon.notify.wait(for: "READY=1") != nil, "daemon not ready")
        let (state, detail, _) = try Self.encoderState(daemon)
        #expect(state == "off")
        #expect(detail.contains("/nonexistent/w2v"), "\(detail)")
    }
}
