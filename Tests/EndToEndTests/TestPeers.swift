import Foundation

/// A JACK client (`recorder:midi_in`, Peers/jack_record.py) that records every MIDI event it receives for a
/// number of seconds. It exists before the daemon starts, so the daemon's very first messages are captured.
final class JACKMIDIRecorder {
    private let process = Process()
    private let output = Pipe()

    /// Starts recording on `server` for `seconds`; returns once the port exists.
    init(server: String, seconds: Int) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3",
            CommandRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/jack_record.py").path,
            server, String(seconds),
        ]
        let ready = Pipe()
        process.standardOutput = output
        process.standardError = ready
        try process.run()
        _ = ready.fileHandleForReading.availableData  // "READY" once the port exists
    }

    /// Waits for the recording to end; the events as `[frame, byte, byte, ...]`.
    func events() -> [[Int]] {
        process.waitUntilExit()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        return (try? JSONSerialization.jsonObject(with: data) as? [[Int]]) ?? []
    }

    /// Stops the recorder if it still runs.
    func stop() { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

extension CommandRunner {
    /// The demo recording shipped in Config/demo.
    static let demoRecording = packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path

    /// Trains the demo minuet as `name` into `models` at threshold 0.6 (fast and well-formed); the result of
    /// `musichal train`.
    func trainDemo(named name: String = "minuet", into models: String) throws -> Result {
        try run(["train", Self.demoRecording, "-o", name, "--models-dir", models, "--threshold", "0.6"])
    }
}

extension DaemonHarness {
    /// The daemon's audio state as `/hal/status` reports it (`musichal ctl` answers within milliseconds).
    func audioState() throws -> String? {
        let result = try runner.run(["ctl", "--port", String(port), "--timeout", "0.5", "/hal/status"])
        guard
            let line = result.standardOutput.split(separator: "\n").first(where: {
                $0.hasPrefix("/hal/status/audio/state ")
            })
        else { return nil }
        return String(line.dropFirst("/hal/status/audio/state ".count)).trimmingCharacters(
            in: CharacterSet(charactersIn: "\""))
    }
}
