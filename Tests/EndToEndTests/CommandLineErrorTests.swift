import Foundation
import Testing

/// Bad input gives one clear error line, a non-zero exit, and leaves nothing half-written.
@Suite("Command-line errors", .serialized)
struct CommandLineErrorTests {
    /// Error lines on standard error (progress lines may accompany them when stderr is not a terminal).
    private func errorLines(_ result: CommandRunner.Result) -> [Substring] {
        let lines = result.standardError.split(separator: "\n").filter { !$0.isEmpty }
        let progress = lines.filter { $0.hasPrefix("analysing ") }
        return lines.filter { !progress.contains($0) }
    }

    @Test("training on a missing file names it, exits non-zero and writes no model")
    func missingFile() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let output = runner.home.appendingPathComponent("out/model.halmodel").path
        let result = try runner.run(["train", "/nonexistent/take.wav", "-o", output])
        #expect(result.status != 0)
        let lines = errorLines(result)
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("musichal: error:") == true)
        #expect(lines.first?.contains("/nonexistent/take.wav") == true)
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("a multi-file training says which recording failed")
    func whichFileFailed() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let good = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path
        let bad = runner.home.appendingPathComponent("broken.wav").path
        try Data("RIFF but not really a wave file".utf8).write(to: URL(fileURLWithPath: bad))
        let output = runner.home.appendingPathComponent("m.halmodel").path
        let result = try runner.run(["train", good, bad, "-o", output])
        #expect(result.status != 0)
        let lines = errorLines(result)
        #expect(lines.count == 1)
        #expect(lines.first?.contains("recording 2 of 2") == true)
        #expect(lines.first?.contains(bad) == true)
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("a bare name goes to the models directory; a path with a slash is used exactly")
    func outputPlacement() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let recording = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path
        let models = runner.home.appendingPathComponent("models").path
        let named = try runner.run(["train", recording, "-o", "minuet", "--models-dir", models, "--threshold", "0.6"])
        #expect(named.status == 0, "\(named.standardError)")
        #expect(FileManager.default.fileExists(atPath: models + "/minuet.halmodel"))
        #expect(named.standardOutput.contains("events") && named.standardOutput.contains("max LRS"))
        let exact = runner.home.appendingPathComponent("elsewhere/piece.bin").path
        let pathed = try runner.run(["train", recording, "-o", exact, "--threshold", "0.6"])
        #expect(pathed.status == 0, "\(pathed.standardError)")
        #expect(FileManager.default.fileExists(atPath: exact))
        let badName = try runner.run(["train", recording, "-o", "..", "--models-dir", models])
        #expect(badName.status != 0)
        #expect(errorLines(badName).count == 1)
    }

    @Test("a bad configuration names the key and the file")
    func badConfiguration() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let config = runner.home.appendingPathComponent("musichal.yaml").path
        try "midi:\n  channels:\n    melody: 42\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try runner.run(["demo", "--fast", "--config", config])
        #expect(result.status != 0)
        let lines = errorLines(result)
        #expect(lines.count == 1)
        #expect(lines.first?.contains(config) == true)
        #expect(lines.first?.contains("midi.channels.melody") == true)
    }

    @Test("bad flags and values are refused with a non-zero exit")
    func badFlags() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["train", "x.wav", "-o", "m", "--threshold", "-1"]).status != 0)
        #expect(try runner.run(["train", "x.wav"]).status != 0)
        #expect(try runner.run(["demo", "--mode", "shout"]).status != 0)
        #expect(try runner.run(["no-such-command"]).status != 0)
        let version = try runner.run(["--version"])
        #expect(version.status == 0)
        #expect(version.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test("an interrupted training leaves no model file and no temporary file")
    func interruptedTraining() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let recording = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path
        let directory = runner.home.appendingPathComponent("out")
        let output = directory.appendingPathComponent("m.halmodel").path
        // Many copies of the recording make a run long enough to interrupt.
        let (process, _, _) = try runner.start(["train"] + Array(repeating: recording, count: 40) + ["-o", output])
        Thread.sleep(forTimeInterval: 1.0)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(!FileManager.default.fileExists(atPath: output))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        #expect(leftovers.isEmpty)
    }
}
