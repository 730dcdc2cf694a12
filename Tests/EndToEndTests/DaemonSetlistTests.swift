import Foundation
import Glibc
import MIDICore
import MusicHalCore
import Testing

/// One timed command: what answered (`/hal/done` or `/hal/fail`), its arguments after the address, and the
/// milliseconds from sending to the answer.
struct TimedReply {
    let reply: String?
    let arguments: [Any]
    let milliseconds: Double?
}

extension DaemonHarness {
    /// Sends each message in turn with `osc_timed.py`, waiting for its `/hal/done` or `/hal/fail`.
    func timed(_ messages: [String], gap: Double = 0.3) throws -> [TimedReply] {
        let peer = CommandRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/osc_timed.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", peer, String(port), "--gap", String(gap)] + messages
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            return TimedReply(
                reply: object["reply"] as? String, arguments: object["args"] as? [Any] ?? [],
                milliseconds: object["ms"] as? Double)
        }
    }

    /// The status bundle's value of `field` (e.g. `model` for `/hal/status/model`).
    func status(_ field: String) throws -> Any? {
        try python(["/hal/status"]).first { $0.0 == "/hal/status/\(field)" }?.1.first
    }
}

/// Models for the setlist tests: the minuet trained once, copied under several names (each copy is loaded
/// from its own file), and a damaged one.
final class SetlistModels {
    let runner: CommandRunner
    let models: String

    init(names: [String]) throws {
        runner = try CommandRunner()
        models = runner.home.appendingPathComponent("models").path
        let recording = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path
        let trained = try runner.run([
            "train", recording, "-o", "trained", "--models-dir", models, "--threshold", "0.6",
        ])
        guard trained.status == 0 else { throw POSIXError(.EIO) }
        let source = models + "/trained.halmodel"
        for name in names { try FileManager.default.copyItem(atPath: source, toPath: models + "/\(name).halmodel") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: models + "/broken.halmodel"))
    }

    /// Writes `text` as a setlist file beside the models and returns its path.
    func setlist(_ text: String, name: String = "set.yaml") throws -> String {
        let path = runner.home.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func cleanUp() { runner.cleanUp() }
}

@Suite("musichal run with a setlist", .serialized)
struct DaemonSetlistTests {
    static let setlist = """
        name: Test set
        pieces:
          - name: Opening
            model: m0
            mode: imitate
            duration_minutes: 8
            parameters: {density: 0.4}
            midi: {bank_msb: 1, bank_lsb: 2, program: 41}
          - name: Ballad
            model: m1
            mode: lead
            parameters: {density: 0.25, melody_low: 60, melody_high: 84}
            midi: {program: 1}
          - name: Broken
            model: broken
          - name: Storm
            model: m2
            mode: contrast
            midi: {program: 20}

        """

    @Test(
        "next, prev and goto change model, mode and parameters; edges and a bad model fail clearly; MIDI shows the patches"
    )
    func stepping() throws {
        let models = try SetlistModels(names: ["m0", "m1", "m2"])
        defer { models.cleanUp() }
        let path = try models.setlist(Self.setlist)
        let daemon = try DaemonHarness(
            configuration: """
                audio: {backend: none}
                midi: {backend: none}
                paths: {models: \(models.models)}
                agent: {setlist: \(path), mode: listen}

                """)
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0, "the daemon did not start: \(daemon.standardError)")
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        Thread.sleep(forTimeInterval: 0.2)

        // Piece 0 in place at start: its model, mode, parameters and arc, and the setlist in the status stream.
        let start = try daemon.python(["/hal/status"])
        func value(_ replies: [(String, [Any])], _ field: String) -> Any? {
            replies.first { $0.0 == "/hal/status/\(field)" }?.1.first
        }
        #expect(value(start, "model") as? String == "m0")
        #expect(value(start, "mode") as? String == "imitate")
        #expect(value(start, "arc/phase") as? String == "build-up")
        #expect(value(start, "setlist/piece") as? Int == 0)
        #expect(value(start, "setlist/name") as? String == "Opening")
        #expect(
            (try daemon.python(["/hal/param/density"]).first?.1.first as? Double).map { abs($0 - 0.4) < 1e-6 } == true)
        let query = try daemon.python(["/hal/setlist"]).first
        #expect(query?.0 == "/hal/setlist")
        #expect(query?.1.count == 4 && query?.1[0] as? String == "Test set" && query?.1[2] as? Int == 4)

        let replies = try daemon.timed([
            "/hal/setlist/next", "/hal/setlist/next", "/hal/setlist/goto,i:3", "/hal/setlist/next",
            "/hal/setlist/goto,i:9", "/hal/setlist/prev",
        ])
        try #require(replies.count == 6)
        #expect(replies[0].reply == "/hal/done" && replies[0].arguments[0] as? Int == 1)
        #expect(replies[0].arguments[1] as? String == "Ballad")
        // Piece 2's model is damaged: refused with the reason; Ballad stays.
        #expect(replies[1].reply == "/hal/fail" && replies[1].arguments.last as? Int == 500)
        let broken = replies[1].arguments.first as? String ?? ""
        #expect(broken.contains("piece 2 'Broken'") && broken.contains("keeps playing"), "\(broken)")
        #expect(replies[2].reply == "/hal/done" && replies[2].arguments[0] as? Int == 3)
        #expect(replies[3].reply == "/hal/fail" && replies[3].arguments.last as? Int == 409)
        #expect(replies[3].arguments.first as? String == "already at the last piece (3 'Storm' of 4)")
        #expect(replies[4].reply == "/hal/fail" && replies[4].arguments.last as? Int == 400)
        #expect(
            replies[4].arguments.first as? String == "piece 9 does not exist: the setlist has 4 pieces (0...3)")
        #expect(replies[5].reply == "/hal/fail" && replies[5].arguments.last as? Int == 500)

        let storm = try daemon.python(["/hal/status"])
        #expect(value(storm, "model") as? String == "m2")
        #expect(value(storm, "mode") as? String == "contrast")
        #expect(value(storm, "arc/phase") as? String == "off")
        #expect(value(storm, "setlist/piece") as? Int == 3)
        #expect(value(storm, "setlist/name") as? String == "Storm")
        // Storm names no parameters: the configuration's come back (Ballad's range is gone).
        #expect(try daemon.python(["/hal/param/melody_low"]).first?.1.first as? Double == 55)

        // Back to Ballad: its model, mode and parameters return.
        let ballad = try daemon.timed(["/hal/setlist/goto,i:1"])
        #expect(ballad.first?.reply == "/hal/done")
        #expect(try daemon.status("model") as? String == "m1")
        #expect(try daemon.python(["/hal/mode"]).first?.1.first as? String == "lead")
        #expect(try daemon.python(["/hal/param/melody_low"]).first?.1.first as? Double == 60)

        // The performance's MIDI recording holds each patch after the panic that started its piece.
        let performances = daemon.runner.home.appendingPathComponent(".local/share/musichal/performances")
        #expect(daemon.terminate().status == 0)
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: performances.path).first { $0.hasSuffix(".mid") })
        let parsed = try StandardMIDIFile.parse(
            Array(try Data(contentsOf: performances.appendingPathComponent(file))))
        let events = try #require(parsed.tracks.first { $0.name == "MusicHal answer" }).events
        let patches = events.enumerated().filter { $0.element.message.kind == 0xC0 }
        // Opening (41 → 40 on the wire), Ballad (1 → 0), Storm (20 → 19), Ballad again, all on channel 1.
        #expect(patches.map(\.element.message.description) == ["C0 28", "C0 00", "C0 13", "C0 00"])
        for (index, event) in patches {
            let before = events[..<index].last { $0.message.kind == 0xB0 && $0.message.data1 == 120 }
            #expect(before?.tick == event.tick, "the patch shares its frame with the panic before it")
        }
        let opening = try #require(patches.first?.offset)
        #expect(events[(opening - 2)..<opening].map(\.message.description) == ["B0 00 01", "B0 20 02"])
    }

    @Test("a switch to a preloaded model answers faster than one loaded from disk (numbers printed)")
    func switchTimes() throws {
        let names = (0..<4).map { "m\($0)" }
        let models = try SetlistModels(names: names)
        defer { models.cleanUp() }
        let path = try models.setlist(
            "pieces:\n" + names.map { "  - {model: \($0), midi: {program: 5}}\n" }.joined())
        // A cache of one model: the preloaded next piece is the only one kept, so goto 0 always reads the disk.
        let daemon = try DaemonHarness(
            configuration: """
                audio: {backend: none}
                midi: {backend: none}
                paths: {models: \(models.models)}
                agent: {model_cache_mb: 0}

                """, arguments: ["--setlist", path])
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0, "the daemon did not start: \(daemon.standardError)")
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        var preloaded: [Double] = []
        var fromDisk: [Double] = []
        for _ in 0..<8 {
            // goto 3 reads m3 (the cache holds m1); next is impossible there, so: goto 0 (disk), next (preloaded).
            let replies = try daemon.timed(["/hal/setlist/goto,i:3", "/hal/setlist/goto,i:0", "/hal/setlist/next"])
            try #require(replies.count == 3 && replies.allSatisfy { $0.reply == "/hal/done" }, "\(replies)")
            fromDisk += [replies[0].milliseconds, replies[1].milliseconds].compactMap { $0 }
            preloaded += [replies[2].milliseconds].compactMap { $0 }
        }
        func summary(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return String(
                format: "median %.2f ms, min %.2f, max %.2f (n=%d)", sorted[sorted.count / 2], sorted.first!,
                sorted.last!, sorted.count)
        }
        print(
            "setlist switch, /hal/setlist/... to /hal/done: preloaded \(summary(preloaded)); from disk \(summary(fromDisk))"
        )
        let medianPreloaded = preloaded.sorted()[preloaded.count / 2]
        #expect(medianPreloaded < 20, "a preloaded switch should be instant: \(summary(preloaded))")
        #expect(fromDisk.allSatisfy { $0 < 1000 })
    }

    @Test("a bad setlist stops the start with one line naming the file, line and key; SIGHUP keeps the running one")
    func badSetlists() throws {
        let models = try SetlistModels(names: ["m0", "m1"])
        defer { models.cleanUp() }
        let configuration = "audio: {backend: none}\nmidi: {backend: none}\npaths: {models: \(models.models)}\n"

        let typo = try models.setlist("pieces:\n  - model: m0\n    mode: shouting\n", name: "typo.yaml")
        let refused = try DaemonHarness(configuration: configuration, arguments: ["--setlist", typo])
        refused.process.waitUntilExit()
        #expect(refused.process.terminationStatus != 0)
        let lines = refused.standardError.split(separator: "\n").filter { !$0.contains(" notice ") }
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("\(typo):3: pieces[0].mode: 'shouting' is not one of") == true, "\(lines)")
        refused.cleanUp()

        let missing = try models.setlist("pieces:\n  - {name: Intro, model: nowhere}\n", name: "missing.yaml")
        let noModel = try DaemonHarness(configuration: configuration, arguments: ["--setlist", missing])
        noModel.process.waitUntilExit()
        #expect(noModel.process.terminationStatus != 0)
        #expect(noModel.standardError.contains("piece 0 'Intro': model 'nowhere': no model named 'nowhere'"))
        noModel.cleanUp()

        let both = try models.runner.run(["run", "--setlist", missing, "--model", "m0"])
        #expect(both.status != 0 && both.standardError.contains("--model and --setlist"))

        // Running: a bad edit is refused on SIGHUP and the set goes on; a good one is taken.
        let path = try models.setlist("pieces:\n  - {model: m0}\n  - {name: Two, model: m1, mode: lead}\n")
        let daemon = try DaemonHarness(configuration: configuration + "agent: {setlist: \(path)}\n")
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0, "the daemon did not start: \(daemon.standardError)")
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        #expect(try daemon.timed(["/hal/setlist/next"]).first?.reply == "/hal/done")
        try "pieces:\n  - {model: m0, colour: blue}\n".write(toFile: path, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(daemon.notify.wait(for: "setlist NOT reloaded") != nil)
        #expect(daemon.notify.all.contains { $0.1.contains("pieces[0].colour: unknown key") })
        #expect(try daemon.status("setlist/name") as? String == "Two")
        #expect(try daemon.python(["/hal/mode"]).first?.1.first as? String == "lead", "the piece keeps its mode")
        try "pieces:\n  - {model: m0}\n  - {name: Zwei, model: m1}\n  - {model: m0}\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(daemon.notify.wait(for: "setlist reloaded from") != nil)
        #expect(try daemon.status("setlist/name") as? String == "Zwei")
        let next = try daemon.timed(["/hal/setlist/next"]).first
        #expect(next?.reply == "/hal/done" && next?.arguments.first as? Int == 2)
    }
}

@Suite("musichal run with a setlist through a JACK dummy server", .serialized)
struct DaemonSetlistJACKTests {
    @Test("the patches go out on the MIDI port on the melody channel, each at the frame of the panic before it")
    func programChangesOnThePort() throws {
        let models = try SetlistModels(names: ["m0", "m1"])
        defer { models.cleanUp() }
        let path = try models.setlist(
            """
            pieces:
              - {name: Opening, model: m0, midi: {bank_msb: 1, bank_lsb: 2, program: 41}}
              - {name: Ballad, model: m1, mode: lead, midi: {program: 1}}

            """)
        let jack = try DummyJACKServer(period: 256)
        defer { jack.shutDown() }
        // The recorder exists before the daemon, which connects to it at start: the first patch is captured too.
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        recorder.arguments = [
            "python3",
            CommandRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/jack_record.py").path,
            jack.name, "10",
        ]
        let output = Pipe()
        let ready = Pipe()
        recorder.standardOutput = output
        recorder.standardError = ready
        try recorder.run()
        defer { if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) } }
        _ = ready.fileHandleForReading.availableData  // "READY" once the port exists
        let daemon = try DaemonHarness(
            configuration: """
                audio: {backend: jack, jack: {server: \(jack.name), connect: []}}
                midi: {backend: jack, channels: {melody: 3, bass: 4}, jack: {connect: ["recorder:midi_in"]}}
                paths: {models: \(models.models)}
                agent: {setlist: \(path)}

                """)
        defer { daemon.cleanUp() }
        try #require(daemon.port > 0, "the daemon did not start: \(daemon.standardError)")
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        Thread.sleep(forTimeInterval: 0.5)
        let next = try daemon.timed(["/hal/setlist/next"], gap: 0.5)
        #expect(next.first?.reply == "/hal/done", "\(next.first?.arguments ?? [])")
        #expect(daemon.terminate().status == 0)
        recorder.waitUntilExit()
        let events =
            (try? JSONSerialization.jsonObject(with: output.fileHandleForReading.readDataToEndOfFile()) as? [[Int]])
            ?? []
        let dump = "\(events.prefix(60))"

        // Program changes only on the melody channel (3 → wire 2): Opening's 41 and Ballad's 1.
        let programs = events.enumerated().filter { $0.element.count >= 2 && $0.element[1] & 0xF0 == 0xC0 }
        #expect(programs.map { Array($0.element.dropFirst()) } == [[0xC2, 40], [0xC2, 0]], "\(dump)")
        for (index, program) in programs {
            // Just before each: a flush whose All Sound Off on the melody channel shares the patch's frame.
            let soundOff = events[..<index].last { $0.count == 4 && $0[1] == 0xB2 && $0[2] == 120 }
            #expect(soundOff?[0] == program[0], "patch at \(program[0]), panic at \(soundOff?[0] ?? -1): \(dump)")
        }
        // Opening's bank select comes right before its program change, MSB then LSB.
        if let first = programs.first?.offset, first >= 2 {
            #expect(events[first - 2].dropFirst() == [0xB2, 0, 1] && events[first - 1].dropFirst() == [0xB2, 32, 2])
        } else {
            Issue.record("no bank select before the first program change: \(dump)")
        }
    }
}
