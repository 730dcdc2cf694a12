import Foundation
import MIDICore
import MusicHalCore
import Testing

@Suite("musichal train, inspect and perform, end to end", .serialized)
struct PerformEndToEndTests {
    @Test("a trained model is inspected, pictured, and performed against, with answers and input on two tracks")
    func trainInspectPerform() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let recording = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path
        let models = runner.home.appendingPathComponent("models").path
        let trained = try runner.run(["train", recording, "-o", "minuet", "--models-dir", models])
        #expect(trained.status == 0, "\(trained.standardError)")

        let svg = runner.home.appendingPathComponent("minuet.svg").path
        let inspected = try runner.run(["inspect", "minuet", "--models-dir", models, "--svg", svg])
        #expect(inspected.status == 0, "\(inspected.standardError)")
        #expect(inspected.standardOutput.contains("events: 126"))
        #expect(inspected.standardOutput.contains("minuet-in-g.flac"))
        let picture = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(
            picture.contains("<svg") && picture.contains("class=\"suffix-link\"") && picture.contains("class=\"lrs\""))

        let midi = runner.home.appendingPathComponent("answer.mid").path
        let performed = try runner.run([
            "perform", "minuet", recording, "-o", midi, "--models-dir", models, "--mode", "lead", "--seed", "4",
            "--param", "density=0.9", "--with-input",
        ])
        #expect(performed.status == 0, "\(performed.standardError)")
        let file = try StandardMIDIFile.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: midi))))
        let answer = try #require(file.track(named: "MusicHal answer"))
        let input = try #require(file.track(named: "Input"))
        #expect(answer.events.filter(\.message.isNoteOn).count >= 10)
        #expect(NotePairing.pair(answer.events).unpairedNoteOnIndices.isEmpty)
        #expect(abs(input.events.filter(\.message.isNoteOn).count - 126) <= 3)

        // --explain: one decision record per phrase, each note's state walked, every jump with its context.
        let explain = runner.home.appendingPathComponent("answer.jsonl").path
        let explained = try runner.run([
            "perform", "minuet", recording, "-o", midi, "--models-dir", models, "--mode", "imitate", "--seed", "4",
            "--explain", explain,
        ])
        #expect(explained.status == 0, "\(explained.standardError)")
        let lines = try String(contentsOfFile: explain, encoding: .utf8).split(separator: "\n")
        let phrases = Int(explained.standardOutput.split(separator: " ").drop { $0 != "with" }.dropFirst().first ?? "")
        #expect(phrases == lines.count, "\(explained.standardOutput)")
        #expect(lines.count >= 3)
        var previousOnset = -1.0
        for line in lines {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let notes = try #require(record["notes"] as? [[String: Any]])
            let states = try #require(record["states"] as? [Int])
            let jumps = try #require(record["jumps"] as? [[String: Int]])
            let onset = try #require(record["onset_s"] as? Double)
            #expect(record["mode"] as? String == "imitate")
            #expect((record["reason"] as? String)?.hasPrefix("imitate: ") == true)
            #expect(!notes.isEmpty && states.count == notes.count)
            #expect(onset == notes.first?["onset_s"] as? Double)
            #expect(onset >= previousOnset || record["voice"] as? String == "bass")
            previousOnset = onset
            for jump in jumps {
                #expect((jump["lrs"] ?? 0) >= 1, "a jump shares at least one event of context")
                #expect(states.contains(jump["to"] ?? -1))
            }
            let constraints = try #require(record["constraints"] as? [String])
            #expect(constraints.contains { $0.hasPrefix("register ") })
            #expect(record.keys.contains("input_span_s") && record.keys.contains("matched_state"))
        }

        let refused = try runner.run([
            "perform", "minuet", recording, "-o", midi, "--models-dir", models, "--param", "density=2",
        ])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("density"))
        let missing = try runner.run(["perform", "nothing", recording, "-o", midi, "--models-dir", models])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("nothing"))
    }
}
