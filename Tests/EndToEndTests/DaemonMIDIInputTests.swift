import Foundation
import Testing

/// What the JACK keyboard peer played and heard.
struct KeyboardRecording: Decodable {
    let rate: Double
    let blocksize: Int
    let connectedByDaemon: Bool
    let onsets: [Int]
    let midi: [[Int]]

    enum CodingKeys: String, CodingKey {
        case rate, blocksize, onsets, midi
        case connectedByDaemon = "connected_by_daemon"
    }

    var noteOns: [(frame: Int, note: Int)] {
        midi.filter { $0.count == 4 && $0[1] & 0xF0 == 0x90 && $0[3] > 0 }.map { ($0[0], $0[2]) }
    }
}

/// `musichal run` with a keyboard on its JACK MIDI input: alone (no audio backend) and beside the audio input.
@Suite("musichal run hearing a MIDI keyboard through JACK", .serialized)
struct DaemonMIDIInputTests {
    static func runKeyboard(server: String, seconds: Double, notes: Int, audio: Bool) throws -> KeyboardRecording {
        let script = CommandRunner.packageRoot.appendingPathComponent(
            "Tests/EndToEndTests/Peers/jack_keyboard_peer.py"
        ).path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", script, server, String(seconds), "--notes", String(notes)] + (audio ? ["--audio"] : [])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(KeyboardRecording.self, from: data)
    }

    /// Integer status fields by address, from `musichal ctl /hal/status`.
    static func status(_ daemon: DaemonHarness) throws -> [String: Int] {
        let result = try daemon.runner.run(["ctl", "--port", String(daemon.port), "--timeout", "1", "/hal/status"])
        var fields: [String: Int] = [:]
        for line in result.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Int(parts[1]) { fields[String(parts[0])] = value }
        }
        return fields
    }

    /// Trains the demo minuet into a fresh models directory and starts the daemon on `server` with `audio` and a
    /// MIDI input connected by pattern to the keyboard peer; learning on, every onset answered at once.
    static func startDaemon(server: String, audio: Bool) throws -> (DaemonHarness, CommandRunner) {
        let setup = try CommandRunner()
        let recording = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path
        let models = setup.home.appendingPathComponent("models").path
        let trained = try setup.run(["train", recording, "-o", "minuet", "--models-dir", models, "--threshold", "0.6"])
        try #require(trained.status == 0)
        let configuration = """
            paths: {models: \(models)}
            audio: {backend: \(audio ? "jack" : "none"), jack: {server: \(server), connect: []}}
            midi:
              backend: jack
              input: {enabled: true, connect: ["keys:out"]}
            agent:
              seed: 5
              model: minuet
              learning: true
              parameters: {give_space: 0, density: 1, initiative: 0, melody_low: 48, melody_high: 84, phrase_min: 1, phrase_max: 1}

            """
        return (try DaemonHarness(configuration: configuration), setup)
    }

    @Test("keyboard alone (audio backend none): answers after each note, events counted, the oracle grows")
    func keyboardAlone() throws {
        let jack = try DummyJACKServer(period: 256)
        defer { jack.shutDown() }
        let (daemon, setup) = try Self.startDaemon(server: jack.name, audio: false)
        defer {
            daemon.cleanUp()
            setup.cleanUp()
        }
        #expect(daemon.notify.wait(for: "READY=1") != nil, "daemon not ready")
        let before = try Self.status(daemon)
        let initialStates = try #require(before["/hal/status/oracle/states"])
        #expect(before["/hal/status/input/midi_events"] == 0)

        let notes = 16
        let peer = try Self.runKeyboard(server: jack.name, seconds: 8, notes: notes, audio: false)
        #expect(peer.connectedByDaemon, "midi.input.connect did not connect keys:out to musichal:midi_in")
        Thread.sleep(forTimeInterval: 0.3)
        let after = try Self.status(daemon)
        #expect(after["/hal/status/input/midi_events"] == notes)
        // Learning on: every keyboard event went into the memory.
        #expect(after["/hal/status/oracle/states"] == initialStates + notes, "\(initialStates) → \(after)")

        let latencies = Self.latencies(peer)
        #expect(latencies.count >= notes * 3 / 4, "\(latencies.count) of \(notes) notes answered within 100 ms")
        if let median = latencies.sorted().dropFirst(latencies.count / 2).first {
            print(Self.summary("keyboard alone", latencies, peer))
            // The note-on's cycle ends, the engine answers from the next frame: within about one period.
            #expect(median <= 2 * peer.blocksize, "\(Self.summary("keyboard alone", latencies, peer))")
        }
        let (status, _) = daemon.terminate()
        #expect(status == 0)
    }

    @Test("keyboard beside the audio input: both heard, MIDI events counted, both learned")
    func keyboardBesideAudio() throws {
        let jack = try DummyJACKServer(period: 256)
        defer { jack.shutDown() }
        let (daemon, setup) = try Self.startDaemon(server: jack.name, audio: true)
        defer {
            daemon.cleanUp()
            setup.cleanUp()
        }
        #expect(daemon.notify.wait(for: "READY=1") != nil, "daemon not ready")
        let initialStates = try #require(try Self.status(daemon)["/hal/status/oracle/states"])
        let notes = 12
        let peer = try Self.runKeyboard(server: jack.name, seconds: 7, notes: notes, audio: true)
        #expect(peer.connectedByDaemon)
        Thread.sleep(forTimeInterval: 0.3)
        let after = try Self.status(daemon)
        #expect(after["/hal/status/input/midi_events"] == notes)
        // The audio melody's notes were heard and learned too.
        let grown = (after["/hal/status/oracle/states"] ?? 0) - initialStates
        #expect(
            grown >= notes + notes * 3 / 4, "the memory grew by \(grown) for \(notes) MIDI and \(notes) audio notes")
        let latencies = Self.latencies(peer)
        print(Self.summary("keyboard beside audio", latencies, peer))
        #expect(latencies.count >= notes * 3 / 4)
        let (status, _) = daemon.terminate()
        #expect(status == 0)
    }

    /// Frames from each keyboard note-on to the first answering note-on at or after it (within 100 ms).
    static func latencies(_ peer: KeyboardRecording) -> [Int] {
        let answers = peer.noteOns.map(\.frame)
        return peer.onsets.compactMap { onset in
            answers.filter { $0 >= onset }.min().map { $0 - onset }.flatMap { $0 < Int(peer.rate / 10) ? $0 : nil }
        }
    }

    static func summary(_ name: String, _ latencies: [Int], _ peer: KeyboardRecording) -> String {
        let sorted = latencies.sorted()
        guard let first = sorted.first, let last = sorted.last else { return "\(name): no answers" }
        return "\(name): MIDI note-on → answer note-on over \(sorted.count) notes (frames at \(Int(peer.rate)) Hz, "
            + "period \(peer.blocksize)): min \(first), median \(sorted[sorted.count / 2]), max \(last)"
    }
}
