import Foundation
import Testing

/// Chord override, the performance arc and per-mode snapping through the running daemon, driven by python-osc.
/// Audio and MIDI are off (the agent's musical behaviour is tested on the sample clock in ImproviserTests); here
/// the control surface, the status stream and the configuration are what is checked.
@Suite("musichal run: chord override, performance arc and snapping over OSC", .serialized)
struct DaemonMusicianshipTests {
    /// The status bundle as address → first argument.
    static func status(_ daemon: DaemonHarness) throws -> [String: Any] {
        var fields: [String: Any] = [:]
        for (address, arguments) in try daemon.python(["/hal/status"]) {
            if let first = arguments.first { fields[address] = first }
        }
        return fields
    }

    static func failure(_ daemon: DaemonHarness, _ message: String) throws -> (reason: String, code: Int)? {
        guard let reply = try daemon.python([message]).first(where: { $0.0 == "/hal/fail" }) else { return nil }
        return (reply.1[1] as? String ?? "", reply.1[2] as? Int ?? 0)
    }

    @Test("/hal/chord overrides the harmony for its seconds (30 by default) and /hal/chord/clear ends it")
    func chordOverride() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        var status = try Self.status(daemon)
        #expect(status["/hal/status/harmony/chord"] as? String == "", "nothing heard, nothing overridden")
        #expect(status["/hal/status/harmony/key"] as? String == "")

        let echo = try daemon.python(["/hal/chord,s:F#maj7"])
        #expect(echo.contains { $0.0 == "/hal/chord" && $0.1.first as? String == "F#maj7" }, "\(echo)")
        Thread.sleep(forTimeInterval: 0.3)
        status = try Self.status(daemon)
        #expect(status["/hal/status/harmony/chord"] as? String == "F#maj7")
        let left = status["/hal/status/harmony/override"] as? Double ?? 0
        #expect(left > 27 && left <= 30, "override seconds left: \(left)")
        #expect(try daemon.python(["/hal/chord"]).first?.1.first as? String == "F#maj7")

        // Flats, slash chords and an explicit length.
        _ = try daemon.python(["/hal/chord,s:Bb/D,f:2"])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try Self.status(daemon)["/hal/status/harmony/chord"] as? String == "Bb/D")
        Thread.sleep(forTimeInterval: 2.2)
        status = try Self.status(daemon)
        #expect(status["/hal/status/harmony/chord"] as? String == "", "a 2 s override still in force")
        #expect(status["/hal/status/harmony/override"] as? Double == 0)

        _ = try daemon.python(["/hal/chord,s:Dm7"])
        _ = try daemon.python(["/hal/chord/clear"])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try Self.status(daemon)["/hal/status/harmony/chord"] as? String == "")

        let bad = try Self.failure(daemon, "/hal/chord,s:H7")
        #expect(
            bad?.code == 400 && bad?.reason.contains("'H7' is not a chord name") == true, "\(String(describing: bad))")
        #expect(try Self.failure(daemon, "/hal/chord,s:Dm7,f:0")?.code == 400)
        #expect(try Self.failure(daemon, "/hal/chord,i:3")?.code == 400)
    }

    @Test("--performance-duration starts an arc whose phase and progress stream; /hal/arc/start and stop")
    func performanceArc() throws {
        // 0.05 minutes = 3 s: build-up, main part, ending, fade and then the end, in the status stream.
        let daemon = try DaemonHarness(arguments: ["--performance-duration", "0.05"])
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        var status = try Self.status(daemon)
        let phase = status["/hal/status/arc/phase"] as? String
        #expect(phase == "build-up" || phase == "main", "phase \(String(describing: phase))")
        let early = status["/hal/status/arc/progress"] as? Double ?? -1
        Thread.sleep(forTimeInterval: 3.5)
        status = try Self.status(daemon)
        #expect(status["/hal/status/arc/phase"] as? String == "ended")
        #expect(status["/hal/status/arc/progress"] as? Double == 1)
        #expect(early >= 0 && early < 1)

        _ = try daemon.python(["/hal/arc/start,f:10"])
        Thread.sleep(forTimeInterval: 0.3)
        status = try Self.status(daemon)
        #expect(status["/hal/status/arc/phase"] as? String == "build-up")
        let progress = status["/hal/status/arc/progress"] as? Double ?? -1
        #expect(progress >= 0 && progress < 0.01, "progress \(progress) 0.3 s into 10 minutes")
        _ = try daemon.python(["/hal/arc/stop"])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try Self.status(daemon)["/hal/status/arc/phase"] as? String == "off")
        #expect(try Self.failure(daemon, "/hal/arc/start,f:0")?.code == 400)
        #expect(try Self.failure(daemon, "/hal/arc/start")?.code == 400)
    }

    @Test("snapping is a per-mode option from the configuration, read and set live; bad values are refused")
    func snapping() throws {
        let daemon = try DaemonHarness(
            configuration: "audio: {backend: none}\nmidi: {backend: none}\nagent: {snap: {contrast: chord}}\n")
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0)
        #expect(try daemon.python(["/hal/snap/contrast"]).first?.1.first as? String == "chord")
        #expect(try daemon.python(["/hal/snap/lead"]).first?.1.first as? String == "scale", "the default for lead")
        #expect(try daemon.python(["/hal/snap/imitate,s:scale"]).first?.1.first as? String == "scale")
        #expect(try daemon.python(["/hal/snap/imitate"]).first?.1.first as? String == "scale")
        let bad = try Self.failure(daemon, "/hal/snap/imitate,s:loud")
        #expect(bad?.code == 400 && bad?.reason.contains("off, chord or scale") == true)
        #expect(try Self.failure(daemon, "/hal/snap/listen,s:chord")?.code == 404)
    }

    @Test("a bad snap or arc setting in the configuration stops the start with one line naming the key")
    func badConfiguration() throws {
        for (yaml, key) in [
            ("agent: {snap: {listen: chord}}\n", "agent.snap.listen"),
            ("agent: {snap: {lead: loud}}\n", "agent.snap.lead"),
            ("agent: {performance_minutes: -3}\n", "agent.performance_minutes"),
        ] {
            let runner = try CommandRunner()
            let path = runner.home.appendingPathComponent("bad.yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try runner.run(["run", "--config", path, "--osc-port", "0"])
            #expect(result.status != 0)
            #expect(result.standardError.contains(key), "\(key): \(result.standardError)")
        }
        let runner = try CommandRunner()
        let result = try runner.run(["run", "--performance-duration", "0", "--osc-port", "0"])
        #expect(result.status != 0 && result.standardError.contains("--performance-duration"))
    }
}
