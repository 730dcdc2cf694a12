import Foundation
import Glibc
import Synchronization
import Testing

/// A private jackd (dummy backend) with a unique name, started as a child whose PID the test keeps: the test
/// only ever signals the server it started.
final class DummyJACKServer {
    let name: String
    private(set) var process: Process?
    let period: Int

    init(period: Int = 256) throws {
        name = "mhe\(getpid())_\(Int.random(in: 1000...9999))"
        self.period = period
        try start()
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/jackd")
        process.arguments = ["-n", name, "-d", "dummy", "-r", "48000", "-p", String(period)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Poll until clients can connect (jack_lsp exits 0 once the server answers).
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/jack_lsp")
            probe.arguments = ["-s", name]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            try probe.run()
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw POSIXError(.ETIMEDOUT)
    }

    func kill(_ signal: Int32 = SIGTERM) {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, signal)
        process.waitUntilExit()
        self.process = nil
    }

    func shutDown() {
        kill()
        for file in (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? [] where file.contains(name) {
            try? FileManager.default.removeItem(atPath: "/dev/shm/\(file)")
        }
    }
}

/// What the Python JACK peer played and heard.
struct PeerRecording: Decodable {
    let rate: Double
    let blocksize: Int
    let onsets: [Int]
    let midi: [[Int]]

    var noteOns: [(frame: Int, note: Int, channel: Int)] {
        midi.filter { $0.count == 4 && $0[1] & 0xF0 == 0x90 && $0[3] > 0 }.map { ($0[0], $0[2], $0[1] & 0x0F) }
    }
    var noteOffs: [(frame: Int, note: Int)] {
        midi.filter { $0.count == 4 && $0[1] & 0xF0 == 0x80 }.map { ($0[0], $0[2]) }
    }
}

@Suite("musichal run against a JACK dummy server", .serialized)
struct DaemonJACKTests {
    static func runPeer(server: String, seconds: Double, notes: Int) throws -> PeerRecording {
        let script = CommandRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/jack_peer.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, server, String(seconds), "--notes", String(notes)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(PeerRecording.self, from: data)
    }

    static func configuration(server: String, model: String?) -> String {
        """
        audio: {backend: jack, jack: {server: \(server), connect: []}}
        midi: {backend: jack}
        agent:
          seed: 3
          \(model.map { "model: \($0)" } ?? "")
          parameters: {give_space: 0, density: 1, initiative: 0, melody_low: 48, melody_high: 84, phrase_min: 1, phrase_max: 1}

        """
    }

    @Test("answers land in the first period after each onset; notes pair up and stay in the register")
    func answersThroughJACK() throws {
        let jack = try DummyJACKServer(period: 256)
        defer { jack.shutDown() }
        let setup = try CommandRunner()
        let models = setup.home.appendingPathComponent("models").path
        #expect(try setup.trainDemo(into: models).status == 0)
        let daemon = try DaemonHarness(
            configuration: Self.configuration(server: jack.name, model: "minuet").replacingOccurrences(
                of: "audio:", with: "paths: {models: \(models)}\naudio:"))
        defer {
            daemon.cleanUp()
            setup.cleanUp()
        }
        #expect(daemon.notify.wait(for: "READY=1") != nil, "daemon not ready: \(daemon.standardError)")

        // Halfway through, swap in another model: no dropout, no note left on.
        let swap = Thread {
            Thread.sleep(forTimeInterval: 5)
            _ = try? daemon.python(["/hal/model/load,s:minuet"], wait: 1)
        }
        swap.start()
        // A subscriber hears why each phrase was played while the performance goes on.
        let decisions = Mutex<[String]>([])
        let subscriber = Thread {
            let replies = (try? daemon.python(["/hal/notify,i:1"], wait: 7)) ?? []
            decisions.withLock {
                $0 = replies.filter { $0.0 == "/hal/event/decision" }.compactMap { $0.1.first as? String }
            }
        }
        subscriber.start()
        let peer = try Self.runPeer(server: jack.name, seconds: 8, notes: 16)
        let ons = peer.noteOns
        #expect(ons.count >= 10, "only \(ons.count) note-ons")
        // Melody on channel 1 within 48-84, bass on channel 2 within the default 28-55.
        #expect(ons.allSatisfy { $0.channel == 0 ? (48...84).contains($0.note) : (28...55).contains($0.note) })
        // Every note-on has a later note-off of the same key.
        var open: [Int: Int] = [:]
        for event in peer.midi.sorted(by: { $0[0] < $1[0] }) where event.count == 4 {
            if event[1] & 0xF0 == 0x90 && event[3] > 0 { open[event[2], default: 0] += 1 }
            if event[1] & 0xF0 == 0x80 { open[event[2], default: 0] -= 1 }
        }
        #expect(open.values.allSatisfy { $0 == 0 }, "unpaired notes: \(open.filter { $0.value != 0 })")

        // The performance was recorded as a MIDI file in the state directory.
        let performances = daemon.runner.home.appendingPathComponent(".local/share/musichal/performances")
        _ = daemon.terminate()
        let files = (try? FileManager.default.contentsOfDirectory(atPath: performances.path)) ?? []
        #expect(files.contains { $0.hasPrefix("performance-") && $0.hasSuffix(".mid") }, "no recording in \(files)")
        // Beside it, the decision log: one JSON object per phrase, the same records the subscriber received.
        let log = try #require(files.first { $0.hasSuffix(".decisions.jsonl") }, "no decision log in \(files)")
        let logged = try String(contentsOfFile: performances.appendingPathComponent(log).path, encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(logged.count >= 4)
        for line in logged {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(record?["states"] is [Int] && record?["jumps"] is [Any] && record?["reason"] is String)
        }
        let streamed = decisions.withLock { $0 }
        #expect(streamed.count >= 2, "subscriber got \(streamed.count) decision records")
        #expect(streamed.allSatisfy { logged.contains($0) })

        // Latency: frames from each onset to the first note-on after it.
        var latencies: [Int] = []
        for onset in peer.onsets {
            if let answer = ons.map(\.frame).filter({ $0 >= onset }).min(), answer - onset < 4800 {
                latencies.append(answer - onset)
            }
        }
        latencies.sort()
        #expect(latencies.count >= peer.onsets.count / 2)
        if !latencies.isEmpty {
            let summary =
                "onset-to-answer latency over \(latencies.count) onsets (frames at 48 kHz, period \(peer.blocksize)): "
                + "min \(latencies.first!), median \(latencies[latencies.count / 2]), max \(latencies.last!)"
            print(summary)
            // Detection needs about a hop plus the onset window; the answer must come in the next period, not later.
            #expect(latencies[latencies.count / 2] <= 2048, "\(summary)")
        }
    }

    @Test("the daemon survives the JACK server dying ten times and reconnects within 2 s each time it returns")
    func reconnects() throws {
        let jack = try DummyJACKServer(period: 256)
        defer { jack.shutDown() }
        let daemon = try DaemonHarness(configuration: Self.configuration(server: jack.name, model: nil))
        defer { daemon.cleanUp() }
        #expect(daemon.notify.wait(for: "READY=1") != nil, "daemon not ready")
        // `musichal ctl` answers within a few milliseconds, so the reconnect time is measured finely.
        #expect(try daemon.audioState() == "running")
        var reconnectSeconds: [Double] = []
        for round in 0..<10 {
            jack.kill(round % 2 == 0 ? SIGKILL : SIGTERM)
            Thread.sleep(forTimeInterval: 0.5)
            #expect(try daemon.audioState()?.hasPrefix("reconnecting") == true, "round \(round)")
            if round == 0 {
                let refused = try daemon.python(["/hal/transport/start"]).first { $0.0 == "/hal/fail" }
                #expect(refused?.1.last as? Int == 503)
            }
            #expect(daemon.process.isRunning)
            try jack.start()
            let back = Date()
            var state = try daemon.audioState()
            while state != "running" && Date().timeIntervalSince(back) < 4 {
                Thread.sleep(forTimeInterval: 0.05)
                state = try daemon.audioState()
            }
            #expect(state == "running", "round \(round): \(state ?? "no answer")")
            let took = Date().timeIntervalSince(back)
            reconnectSeconds.append(took)
            #expect(took < 2, "round \(round): reconnect took \(took) s")
        }
        print("reconnect after the server returned, seconds: \(reconnectSeconds.map { (($0 * 100).rounded() / 100) })")
        #expect(try daemon.python(["/hal/ping"]).first?.0 == "/hal/pong")
        let (status, seconds) = daemon.terminate()
        #expect(status == 0 && seconds < 2)
    }
}
