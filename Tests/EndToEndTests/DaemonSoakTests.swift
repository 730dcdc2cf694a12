import Foundation
import Glibc
import Testing

/// What the soak peer played, sent and heard.
struct SoakRecording: Decodable {
    let rate: Double
    let blocksize: Int
    /// Frames of audio played while freewheeling.
    let played: Int
    /// Wall-clock seconds the freewheel took.
    let wallSeconds: Double
    /// Parameter-and-mode pairs sent, one per 100 ms of audio.
    let oscTicks: Int
    /// The last value sent for each parameter.
    let lastParameters: [String: Double]
    let midi: [[Int]]

    enum CodingKeys: String, CodingKey {
        case rate, blocksize, played, midi
        case wallSeconds = "wall_seconds"
        case oscTicks = "osc_ticks"
        case lastParameters = "last_parameters"
    }
}

extension DaemonJACKTests {
    /// Seconds of audio the soak plays: an hour, unless `MUSICHAL_SOAK_AUDIO_SECONDS` says otherwise.
    static let soakAudioSeconds =
        Double(ProcessInfo.processInfo.environment["MUSICHAL_SOAK_AUDIO_SECONDS"] ?? "") ?? 3600

    static func residentKilobytes(of pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        }
        return 0
    }

    /// Datagrams the kernel dropped for the UDP socket bound to `port` (its receive buffer was full), from
    /// /proc/net/udp and udp6; nil when no such socket is listed.
    static func udpDrops(port: Int) -> Int? {
        let suffix = ":" + String(format: "%04X", port)
        for table in ["/proc/net/udp", "/proc/net/udp6"] {
            let text = String(
                decoding: FileHandle(forReadingAtPath: table)?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                if fields.count > 2, fields[1].hasSuffix(suffix), let drops = fields.last.flatMap({ Int($0) }) {
                    return drops
                }
            }
        }
        return nil
    }

    @Test(
        "soak: an hour of audio in freewheel with OSC changes every 100 ms; notes end in time, RSS flat, watchdog fed")
    func soak() throws {
        let audioSeconds = Self.soakAudioSeconds
        let warmUpSeconds = min(60, audioSeconds / 10)
        let maximumNoteSeconds = 0.5
        // WatchdogSec=10s in the units; 1 s here is strict enough to catch a stalled engine (the daemon pings every
        // half interval while the engine's heartbeat moves) and loose enough for a loaded 2-core CI machine.
        let watchdogMicroseconds = 1_000_000
        let jack = try DummyJACKServer(period: 256)
        defer { jack.shutDown() }
        let setup = try CommandRunner()
        defer { setup.cleanUp() }
        let models = setup.home.appendingPathComponent("models").path
        #expect(try setup.trainDemo(into: models).status == 0)
        let daemon = try DaemonHarness(
            configuration: """
                paths: {models: \(models)}
                audio: {backend: jack, jack: {server: \(jack.name), connect: ["soak:out"]}}
                midi: {backend: jack, maximum_note_seconds: \(maximumNoteSeconds), jack: {connect: ["soak:midi_in"]}}
                agent: {seed: 7, model: minuet}

                """, watchdogMicroseconds: watchdogMicroseconds)
        defer { daemon.cleanUp() }
        try #require(daemon.notify.wait(for: "READY=1") != nil, "daemon not ready: \(daemon.standardError)")
        let pid = daemon.process.processIdentifier

        let peer = try PeerProcess(
            "jack_soak_peer.py",
            [
                jack.name, String(daemon.port), String(audioSeconds), "--warm-up", String(warmUpSeconds), "--max-wall",
                "480",
            ])
        let started = peer.waitForLine("FREEWHEEL", timeout: 30)
        try #require(started != nil, "soak peer: \(peer.standardErrorText)")
        let warm = peer.waitForLine("WARM", timeout: 120)
        let residentBefore = Self.residentKilobytes(of: pid)
        let done = peer.waitForLine("DONE", timeout: 600)
        let residentAfter = Self.residentKilobytes(of: pid)
        try #require(warm != nil && done != nil, "soak peer: \(peer.standardErrorText)")
        let recording = try JSONDecoder().decode(SoakRecording.self, from: peer.finish())
        #expect(daemon.process.isRunning)

        // All the audio went through, with a parameter and a mode change every 100 ms of it.
        let played = Double(recording.played) / recording.rate
        #expect(played >= audioSeconds)
        #expect(recording.oscTicks >= Int(audioSeconds * 10))

        // Every note-on has its note-off within the maximum duration; the transport stop left every key up.
        var ledger = NoteLedger()
        for event in NoteLedger.ordered(recording.midi) { _ = ledger.feed(event) }
        let maximumNoteFrames = Int(maximumNoteSeconds * recording.rate)
        let longest = ledger.longest?.frames ?? 0
        #expect(longest <= maximumNoteFrames, "longest note \(ledger.longest.map { "\($0)" } ?? "none")")
        #expect(ledger.sounding.isEmpty, "still down after the transport stopped: \(ledger.sounding)")
        #expect(ledger.noteOns >= Int(audioSeconds / 10), "only \(ledger.noteOns) notes in \(played) s")

        // Memory: flat after the warm-up.
        let growth = Double(residentAfter - residentBefore) / Double(max(1, residentBefore))
        #expect(residentBefore > 0 && growth < 0.05)

        // The watchdog was fed all along: no gap between WATCHDOG=1 messages (nor from the freewheel's start to
        // the first, nor from the last to its end) reached the interval.
        let pings = daemon.notify.all.filter { $0.1.contains("WATCHDOG=1") && $0.0 >= started! && $0.0 <= done! }
            .map(\.0)
        let marks = [started!] + pings + [done!]
        let widest = zip(marks, marks.dropFirst()).map { $1.timeIntervalSince($0) }.max() ?? .infinity
        let interval = Double(watchdogMicroseconds) / 1e6
        #expect(pings.count >= Int(recording.wallSeconds / interval), "\(pings.count) pings")
        #expect(widest < interval, "widest gap between watchdog pings \(widest) s, interval \(interval) s")

        // The daemon applied the changes in order: it reports the last values sent, and refused none.
        let status = try daemon.python(["/hal/status"])
        func statusValue(_ field: String) -> Any? { status.first { $0.0 == "/hal/status/\(field)" }?.1.first }
        #expect(statusValue("errors") as? Int == 0)
        // In freewheel the callback waits for the engine, so every block of the hour was analysed.
        #expect(statusValue("audio/dropped_blocks") as? Int == 0, "input blocks lost")
        // Every change was handled, or the kernel dropped it because the daemon's socket buffer was full (only
        // seen on a loaded machine; the daemon cannot handle what never reached it).
        let received = statusValue("osc/received") as? Int ?? 0
        let dropped = Self.udpDrops(port: daemon.port)
        #expect(dropped != nil, "no UDP socket on port \(daemon.port) in /proc/net/udp")
        #expect(received + (dropped ?? 0) >= 2 * recording.oscTicks, "\(received) handled, \(dropped ?? -1) dropped")
        #expect((dropped ?? 0) * 100 <= 2 * recording.oscTicks, "\(dropped ?? -1) datagrams dropped: more than 1 %")
        for (name, value) in recording.lastParameters.sorted(by: { $0.key < $1.key }) {
            let reply = try daemon.python(["/hal/param/\(name)"]).first?.1.first as? Double
            #expect(reply.map { abs($0 - value) < 1e-4 } == true, "\(name): sent \(value), daemon has \(reply ?? .nan)")
        }
        #expect(try daemon.python(["/hal/ping"]).first?.0 == "/hal/pong")

        func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
        print(
            "soak: \(fixed(played / 3600, 2)) h of audio (\(fixed(played, 0)) s) in \(fixed(recording.wallSeconds, 1)) s "
                + "of freewheel (\(fixed(played / recording.wallSeconds, 0))x real time), \(ledger.noteOns) note-ons, "
                + "\(recording.oscTicks) OSC parameter+mode changes; longest note \(longest) frames (limit "
                + "\(maximumNoteFrames)); RSS \(residentBefore) kB -> \(residentAfter) kB (\(fixed(growth * 100, 2)) %); "
                + "\(pings.count) watchdog pings, widest gap \(fixed(widest, 3)) s (interval \(fixed(interval, 1)) s); "
                + "xruns \(statusValue("audio/xruns") ?? "?"), late MIDI \(statusValue("audio/late_midi") ?? "?"), "
                + "\(ledger.releasedByChannel) notes ended by a channel-wide release; OSC handled \(received), "
                + "dropped by the kernel \(dropped ?? -1)")
        let (exitStatus, seconds) = daemon.terminate()
        #expect(exitStatus == 0 && seconds < 2)
    }
}
