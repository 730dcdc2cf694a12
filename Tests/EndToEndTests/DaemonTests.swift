import Foundation
import Testing

/// `musichal run` against real peers: python-osc, liblo's oscsend/oscdump, and an sd_notify socket listener.
/// The audio and MIDI backends are off here (the JACK tests are in their own suite), so everything but sound
/// is exercised.
@Suite("musichal run: OSC control, status stream and sd_notify", .serialized)
struct DaemonTests {
    @Test("READY=1 once up, watchdog pings while the engine runs, STOPPING=1 and exit 0 within 2 s on SIGTERM")
    func lifecycle() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        #expect(daemon.port > 0, "the daemon did not start: \(daemon.standardError)")
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        let ready = try #require(daemon.notify.all.first { $0.1.contains("READY=1") })
        #expect(ready.1.contains("STATUS="))
        // WATCHDOG_USEC=400000: a ping about every 200 ms.
        Thread.sleep(forTimeInterval: 1.5)
        let pings = daemon.notify.all.filter { $0.1 == "WATCHDOG=1" }.map(\.0)
        #expect(pings.count >= 5, "\(pings.count) watchdog pings in 1.5 s")
        let gaps = zip(pings, pings.dropFirst()).map { $1.timeIntervalSince($0) }
        #expect(gaps.allSatisfy { $0 < 0.4 }, "watchdog gaps \(gaps)")
        let (status, seconds) = daemon.terminate()
        #expect(status == 0)
        #expect(seconds < 2, "shutdown took \(seconds) s")
        #expect(daemon.notify.all.contains { $0.1.contains("STOPPING=1") })
    }

    @Test("python-osc: ping, version, queries, changes echoed, errors with codes, foreign addresses ignored")
    func pythonOSC() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        let pong = try daemon.python(["/hal/ping,i:7,s:hello,f:0.5"])
        #expect(pong.count == 1 && pong[0].0 == "/hal/pong")
        #expect(pong.first?.1.count == 3 && pong.first?.1[1] as? String == "hello")
        let version = try daemon.python(["/hal/version"])
        #expect(version.first?.0 == "/hal/version" && version.first?.1.first as? String == "musichal")
        let mode = try daemon.python(["/hal/mode,s:contrast"])
        #expect(mode.first?.0 == "/hal/mode" && mode.first?.1.first as? String == "contrast")
        #expect(try daemon.python(["/hal/mode"]).first?.1.first as? String == "contrast")
        let density = try daemon.python(["/hal/param/density,f:0.25"])
        #expect((density.first?.1.first as? Double).map { abs($0 - 0.25) < 1e-6 } == true)

        func failure(_ message: String) throws -> (String, Int)? {
            guard let reply = try daemon.python([message]).first(where: { $0.0 == "/hal/fail" }) else { return nil }
            return (reply.1[0] as? String ?? "", reply.1[2] as? Int ?? 0)
        }
        #expect(try failure("/hal/nothing")?.1 == 404)
        #expect(try failure("/hal/param/density,f:3")?.1 == 400)
        #expect(try failure("/hal/param/density,s:loud")?.1 == 400)
        #expect(try failure("/hal/mode,i:3")?.1 == 400)
        #expect(try failure("/hal/ping")?.1 == nil)
        #expect(try failure("/hal/model/load,s:../../etc/passwd")?.1 == 400)
        #expect(try failure("/hal/model/load,s:/etc/passwd")?.1 == 400)
        #expect(try failure("/hal/model/load,s:a/b")?.1 == 400)
        #expect(try failure("/hal/model/load,s:missing")?.1 == 404)
        #expect(try daemon.python(["/mixer/fader1,f:0.3"]).isEmpty)  // not ours: ignored, no flood back
        #expect(try daemon.python(["/hal/describe"]).first?.1.first.map { "\($0)".contains("FULL_PATH") } == true)
    }

    @Test("a bundle applies together: one bad message and nothing changes")
    func bundles() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        _ = try daemon.python(["/hal/param/melody_low,i:60", "/hal/param/melody_high,i:90"], bundle: true)
        // Both bounds move together even though 40 alone would be fine and 50 alone would not.
        let moved = try daemon.python(["/hal/param/melody_low,i:30", "/hal/param/melody_high,i:50"], bundle: true)
        #expect(!moved.contains { $0.0 == "/hal/fail" })
        #expect(try daemon.python(["/hal/param/melody_high"]).first.map { ($0.1.first as? Double) == 50 } == true)
        let refused = try daemon.python(["/hal/param/density,f:0.9", "/hal/param/temperature,f:99"], bundle: true)
        #expect(refused.contains { $0.0 == "/hal/fail" })
        #expect(try daemon.python(["/hal/param/density"]).first.map { ($0.1.first as? Double) == 0.9 } == false)
    }

    @Test("oscsend subscribes oscdump to the status stream: bundles of every field, about four a second")
    func statusStreamToOscdump() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        let dumpPort = Int.random(in: 20_000...40_000)
        let dump = Process()
        dump.executableURL = URL(fileURLWithPath: "/usr/bin/oscdump")
        dump.arguments = ["-L", String(dumpPort)]
        let output = Pipe()
        dump.standardOutput = output
        try dump.run()
        defer { if dump.isRunning { kill(dump.processIdentifier, SIGKILL) } }
        Thread.sleep(forTimeInterval: 0.3)
        let send = Process()
        send.executableURL = URL(fileURLWithPath: "/usr/bin/oscsend")
        send.arguments = ["localhost", String(daemon.port), "/hal/notify", "iii", "1", "250", String(dumpPort)]
        try send.run()
        send.waitUntilExit()
        Thread.sleep(forTimeInterval: 2.2)
        kill(dump.processIdentifier, SIGKILL)  // oscdump ignores SIGTERM
        dump.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let sequences = text.split(separator: "\n").filter { $0.contains("/hal/status/seq") }.count
        #expect(sequences >= 6 && sequences <= 12, "\(sequences) status bundles in 2.2 s")
        for field in [
            "/hal/status/state", "/hal/status/mode", "/hal/status/model", "/hal/status/oracle/states",
            "/hal/status/audio/xruns", "/hal/status/audio/dropped_blocks", "/hal/status/audio/late_midi",
            "/hal/status/rss_mb", "/hal/status/clients",
        ] {
            #expect(text.contains(field), "missing \(field)")
        }
    }

    @Test("SIGHUP reloads the configuration; an invalid file keeps the running one and says why")
    func reload() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        try "audio: {backend: none}\nmidi: {backend: none}\nagent: {mode: lead}\n".write(
            toFile: daemon.configPath, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(daemon.notify.wait(for: "configuration reloaded") != nil)
        #expect(daemon.notify.all.contains { $0.1.contains("RELOADING=1") })
        #expect(try daemon.python(["/hal/mode"]).first?.1.first as? String == "lead")
        try "agent: {mode: shouting}\n".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(daemon.notify.wait(for: "NOT reloaded") != nil)
        #expect(try daemon.python(["/hal/mode"]).first?.1.first as? String == "lead")
        #expect(try daemon.python(["/hal/ping"]).first?.0 == "/hal/pong")
    }

    @Test("models load by name, swap in, and save under a new name; failures leave the running model")
    func models() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        let models = daemon.runner.home.appendingPathComponent(".local/share/musichal/models").path
        #expect(try daemon.runner.trainDemo(into: models).status == 0)
        #expect(try daemon.python(["/hal/model/list"]).first?.1.contains { $0 as? String == "minuet" } == true)
        let loaded = try daemon.python(["/hal/model/load,s:minuet"], wait: 3)
        #expect(loaded.contains { $0.0 == "/hal/done" })
        Thread.sleep(forTimeInterval: 0.3)
        let status = try daemon.python(["/hal/status"])
        #expect(status.contains { $0.0 == "/hal/status/model" && $0.1.first as? String == "minuet" })
        #expect(try daemon.python(["/hal/model/load,s:absent"], wait: 2).contains { $0.0 == "/hal/fail" })
        let after = try daemon.python(["/hal/status"])
        #expect(after.contains { $0.0 == "/hal/status/model" && $0.1.first as? String == "minuet" })
        let saved = try daemon.python(["/hal/model/save,s:minuet-copy"], wait: 3)
        #expect(saved.contains { $0.0 == "/hal/done" })
        #expect(FileManager.default.fileExists(atPath: models + "/minuet-copy.halmodel"))
    }

    @Test("OSC over TCP (OSC 1.0 framing): commands work and replies come back on the connection")
    func tcpTransport() throws {
        let daemon = try DaemonHarness(
            configuration: "audio: {backend: none}\nmidi: {backend: none}\nosc: {transport: tcp}\n")
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3",
            CommandRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/osc_tcp_peer.py").path,
            String(daemon.port), "/hal/ping,i:5", "/hal/mode,s:lead", "/hal/param/density,f:3",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("\"/hal/pong\""), "\(text)")
        #expect(text.contains("\"/hal/mode\"") && text.contains("lead"))
        #expect(text.contains("\"/hal/fail\"") && text.contains("400"))
    }
}
