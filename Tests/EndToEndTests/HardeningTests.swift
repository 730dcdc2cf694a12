import Foundation
import Glibc
import Testing

/// Hostile input against the running daemon: it must keep answering, keep its model, and not grow.
@Suite("Hardening: the daemon under hostile input", .serialized)
struct HardeningTests {
    private static func residentKilobytes(of pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        }
        return 0
    }

    private static func python(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", CommandRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/\(script)").path]
            + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Every address answers as it should: queries reply with a value, commands are accepted or refused clearly.
    private func everyAddressBehaves(_ daemon: DaemonHarness) throws {
        // Let the daemon work through the packets still queued in its socket before judging it.
        let deadline = Date().addingTimeInterval(20)
        var pong = false
        while !pong && Date() < deadline {
            pong = try daemon.python(["/hal/ping,i:1"], wait: 0.5).first?.0 == "/hal/pong"
        }
        #expect(pong)
        #expect(try daemon.python(["/hal/version"]).first?.0 == "/hal/version")
        #expect(try daemon.python(["/hal/describe"]).first?.0 == "/hal/describe")
        #expect(try daemon.python(["/hal/status"]).contains { $0.0 == "/hal/status/state" })
        #expect(try daemon.python(["/hal/model/list"]).first?.0 == "/hal/model/list")
        for query in [
            "/hal/mode", "/hal/learn", "/hal/midi/channel", "/hal/midi/mpe", "/hal/midi/mpe/zone",
            "/hal/param/density", "/hal/param/temperature", "/hal/param/melody_high",
        ] {
            #expect(try daemon.python([query]).first?.0 == query, "\(query) does not answer")
        }
        #expect(try daemon.python(["/hal/param/density,f:0.5"]).first?.0 == "/hal/param/density")
        #expect(try daemon.python(["/hal/nothing"]).first?.0 == "/hal/fail")
    }

    @Test("100,000 malformed packets and 10,000 wrongly typed messages: still answering, RSS grows under 5 %")
    func oscFuzz() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        // Warm up (liblo's and the runtime's first allocations), then measure.
        _ = try Self.python("osc_fuzz.py", [String(daemon.port), "5000", "1000", "7"])
        try everyAddressBehaves(daemon)
        let before = Self.residentKilobytes(of: daemon.process.processIdentifier)
        let sent = try Self.python("osc_fuzz.py", [String(daemon.port), "100000", "10000", "8"])
        #expect(sent["sent"] as? Int == 110_000)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(daemon.process.isRunning)
        try everyAddressBehaves(daemon)
        let after = Self.residentKilobytes(of: daemon.process.processIdentifier)
        let status = try daemon.python(["/hal/status"])
        let handled = status.first { $0.0 == "/hal/status/osc/received" }?.1.first as? Int ?? 0
        let malformed = status.first { $0.0 == "/hal/status/osc/malformed" }?.1.first as? Int ?? 0
        print("OSC fuzz: the daemon handled \(handled) messages and rejected \(malformed) malformed packets")
        // Most of what was sent must really have reached the daemon (the kernel may drop a few datagrams).
        #expect(handled + malformed >= 90_000)
        let growth = Double(after - before) / Double(before)
        print(
            "OSC fuzz: \(sent["sent"] ?? 0) packets in \(sent["seconds"] ?? 0) s; RSS \(before) kB -> \(after) kB (\(String(format: "%+.1f", growth * 100)) %)"
        )
        #expect(growth < 0.05)
    }

    @Test("floods of status requests and model saves: bounded work, answers every time, RSS flat")
    func requestFloods() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        let port = String(daemon.port)
        _ = try Self.python("osc_flood.py", [port, "2000", "/hal/status"])
        let before = Self.residentKilobytes(of: daemon.process.processIdentifier)
        // Every status request reads the daemon's status through the same hooks; a function value kept in a generic
        // lock grew a thunk chain per read (memory and call time rising with each), which this catches.
        let status = try Self.python("osc_flood.py", [port, "20000", "/hal/status"])
        let bundles = (status["replies"] as? [String: Any])?["bundle"] as? Int ?? 0
        // Under a flood the kernel drops datagrams both ways (a status bundle is 1.5 kB); thousands must come back.
        #expect(bundles >= 2_000, "\(bundles) status bundles for 20,000 requests")
        // Saves pile up faster than they run: those beyond the job queue's bound are refused as busy at once.
        let saves = try Self.python("osc_flood.py", [port, "5000", "/hal/model/save", "s:flood"])
        let failures = (saves["replies"] as? [String: Any])?["/hal/fail"] as? Int ?? 0
        #expect(failures >= 4_000, "\(failures) answers to 5,000 saves")
        #expect(saves["busy"] as? Int ?? 0 > 0, "no save was refused as busy: \(saves)")
        _ = try Self.python("osc_flood.py", [port, "20000", "/hal/status"])
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try daemon.python(["/hal/ping,i:1"]).first?.0 == "/hal/pong")
        let after = Self.residentKilobytes(of: daemon.process.processIdentifier)
        let growth = Double(after - before) / Double(before)
        print(
            "request floods: 40,000 status requests and 5,000 saves; RSS \(before) kB -> \(after) kB "
                + "(\(String(format: "%+.1f", growth * 100)) %)")
        #expect(growth < 0.02)
    }

    @Test("1,000 mutated model files are each refused with a clear error while the running model keeps playing")
    func modelFuzz() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        let recording = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path
        let models = daemon.runner.home.appendingPathComponent(".local/share/musichal/models").path
        #expect(
            try daemon.runner.run(["train", recording, "-o", "minuet", "--models-dir", models, "--threshold", "0.6"])
                .status == 0)
        #expect(try daemon.python(["/hal/model/load,s:minuet"], wait: 3).contains { $0.0 == "/hal/done" })
        let result = try Self.python("model_fuzz.py", [String(daemon.port), models, "minuet", "1000", "3"])
        print("model fuzz: \(result["kinds"] ?? [:]); failed \(result["failed"] ?? 0), loaded \(result["loaded"] ?? 0)")
        #expect(result["failed"] as? Int == 1000, "loaded: \(result["loaded_kinds"] ?? [])")
        let messages = result["messages"] as? [String] ?? []
        #expect(!messages.isEmpty && messages.allSatisfy { $0.hasPrefix("fuzz-") && !$0.contains("\n") })
        let status = try daemon.python(["/hal/status"])
        #expect(status.contains { $0.0 == "/hal/status/model" && $0.1.first as? String == "minuet" })
        #expect(try daemon.python(["/hal/ping"]).first?.0 == "/hal/pong")
    }

    @Test("after SIGKILL a restarted daemon sends the startup panic on its MIDI output")
    func restartAfterKill() throws {
        let jack = try DummyJACKServer(period: 256)
        defer { jack.shutDown() }
        // A recorder that exists before the daemon starts: the daemon connects to it at start, so its very first
        // messages are captured.
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        recorder.arguments = [
            "python3",
            CommandRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/jack_record.py").path,
            jack.name, "12",
        ]
        let output = Pipe()
        let ready = Pipe()
        recorder.standardOutput = output
        recorder.standardError = ready
        try recorder.run()
        defer { if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) } }
        _ = ready.fileHandleForReading.availableData  // "READY" once the port exists
        let configuration = """
            audio: {backend: jack, jack: {server: \(jack.name), connect: []}}
            midi: {backend: jack, jack: {connect: ["recorder:midi_in"]}}

            """
        let first = try DaemonHarness(configuration: configuration)
        #expect(first.notify.wait(for: "READY=1") != nil)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        first.cleanUp()
        let second = try DaemonHarness(configuration: configuration)
        defer { second.cleanUp() }
        #expect(second.notify.wait(for: "READY=1") != nil)
        recorder.waitUntilExit()
        let events =
            (try? JSONSerialization.jsonObject(with: output.fileHandleForReading.readDataToEndOfFile()) as? [[Int]])
            ?? []
        // CC123 (All Notes Off) and CC120 (All Sound Off) on channel 1, once per start: at least two of each.
        let allNotesOff = events.filter { $0.count == 4 && $0[1] == 0xB0 && $0[2] == 123 }.count
        let allSoundOff = events.filter { $0.count == 4 && $0[1] == 0xB0 && $0[2] == 120 }.count
        let dump = "\(events.prefix(40))"
        #expect(allNotesOff >= 2 && allSoundOff >= 2, "the recorder saw \(events.count) events: \(dump)")
    }
}
