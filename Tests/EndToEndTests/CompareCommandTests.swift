import AudioFileAdapter
import Foundation
import TestSignals
import Testing

/// `musichal compare` and `musichal analyze --compare-features`, run as a user runs them.
@Suite("musichal compare and analyze --compare-features", .serialized)
struct CompareCommandTests {
    static let demo = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac").path
    /// The tiny random-weight wav2vec2 checkpoints beside the checkout.
    static let fixtures = CommandRunner.packageRoot.deletingLastPathComponent().appendingPathComponent(
        "shared/fixtures/w2v")
    static let postLNModel = fixtures.appendingPathComponent("group_postln").path
    static let preLNModel = fixtures.appendingPathComponent("layer_preln").path

    /// Generated recordings with known relations, written at 44.1 kHz (so reading resamples them).
    struct Recordings {
        let melody: String
        let quieter: String
        let tritone: String
        let other: String

        init(in directory: URL) throws {
            let rate = 44_100
            let notes = SyntheticMelody.scale
            let samples = SyntheticMelody.render(notes, sampleRate: Double(rate))
            func write(_ samples: [Float], _ name: String) throws -> String {
                let path = directory.appendingPathComponent(name).path
                try SoundFileWriter.write(samples, sampleRate: rate, to: path, format: .wav)
                return path
            }
            melody = try write(samples, "melody.wav")
            quieter = try write(samples.map { $0 * 0.5 }, "quieter.wav")  // -6.02 dB
            tritone = try write(
                SyntheticMelody.render(
                    notes.map {
                        var n = $0; n.midi += 6; return n
                    }, sampleRate: Double(rate)),
                "tritone.wav")
            other = try write(
                SyntheticMelody.render(SyntheticMelody.randomMelody(count: 15, seed: 7), sampleRate: Double(rate)),
                "other.wav")
        }
    }

    private func object(_ result: CommandRunner.Result) throws -> [String: Any] {
        #expect(result.status == 0, "\(result.standardError)")
        let data = Data(result.standardOutput.utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(result.standardOutput)")
    }

    private func compare(_ runner: CommandRunner, _ arguments: [String]) throws -> [String: Any] {
        try object(try runner.run(["compare"] + arguments))
    }

    private func number(_ object: [String: Any], _ path: String...) throws -> Double {
        var current: Any = object
        for key in path { current = try #require((current as? [String: Any])?[key], "no \(path)") }
        return try #require(current as? Double, "\(path) is not a number")
    }

    @Test("a region compared with itself scores exactly 1 with both methods, and the output says what it measured")
    func identity() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let traditional = try compare(runner, [Self.demo, Self.demo, "--start", "2", "--end", "12"])
        #expect(traditional["method"] as? String == "traditional")
        #expect(try number(traditional, "similarity") == 1)
        #expect(try number(traditional, "components", "chroma_profile") == 1)
        #expect(try number(traditional, "components", "event_features") == 1)
        #expect(traditional["range"] as? [Double] == [0, 1])
        #expect(try number(traditional, "a", "start_s") == 2 && number(traditional, "b", "end_s") == 12)
        #expect(try number(traditional, "a", "events") > 10)

        let neural = try compare(
            runner, [Self.demo, Self.demo, "--start", "2", "--end", "12", "--neural", Self.postLNModel])
        #expect(neural["method"] as? String == "neural")
        #expect(neural["range"] as? [Double] == [-1, 1])
        #expect(neural["model"] as? String == Self.postLNModel)
        #expect(abs(try number(neural, "similarity") - 1) < 1e-5)
        #expect(abs(try number(neural, "components", "pooled_cosine") - 1) < 1e-5)
        #expect(abs(try number(neural, "components", "event_matching") - 1) < 1e-5)
    }

    @Test("the whole demo against itself beats the demo against a different piece")
    func demoAgainstOther() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let recordings = try Recordings(in: runner.home)
        let same = try compare(runner, [Self.demo, Self.demo])
        let other = try compare(runner, [Self.demo, recordings.other])
        #expect(try number(same, "similarity") == 1)
        #expect(try number(same, "a", "end_s") == 41)
        let otherScore = try number(other, "similarity")
        #expect(otherScore < 0.9, "demo against a random melody: \(otherScore)")
    }

    @Test("6 dB quieter compares as about the same; a tritone up is lower in chroma; a different melody lower")
    func relations() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let r = try Recordings(in: runner.home)
        let quiet = try compare(runner, [r.melody, r.quieter])
        let moved = try compare(runner, [r.melody, r.tritone])
        let other = try compare(runner, [r.melody, r.other])
        #expect(try number(quiet, "components", "chroma_profile") > 0.999)
        #expect(try number(quiet, "similarity") > 0.99)
        #expect(try number(moved, "components", "chroma_profile") < 0.7)
        #expect(try number(other, "similarity") < number(quiet, "similarity") - 0.1)

        let neuralQuiet = try compare(runner, [r.melody, r.quieter, "--neural", Self.postLNModel])
        let neuralOther = try compare(runner, [r.melody, r.other, "--neural", Self.postLNModel])
        // The checkpoint normalises its input (do_normalize), so level hardly matters to it.
        #expect(try number(neuralQuiet, "components", "pooled_cosine") > 0.999)
        #expect(try number(neuralOther, "similarity") < number(neuralQuiet, "similarity"))
    }

    @Test("--low/--high band-limit both inputs; per-file regions; text output")
    func bandRegionsAndText() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let r = try Recordings(in: runner.home)
        let plain = try compare(runner, [r.melody, r.melody])
        // Everything of the scale (C4 at 262 Hz and up) lies far above a 100 Hz low-pass: the listener hears less.
        let dark = try compare(runner, [r.melody, r.melody, "--high", "100"])
        #expect(try number(dark, "band_hz", "high") == 100)
        #expect(try number(dark, "a", "events") < number(plain, "a", "events"))
        let banded = try compare(runner, [r.melody, r.quieter, "--low", "200", "--high", "3000"])
        #expect(try number(banded, "band_hz", "low") == 200)
        #expect(try number(banded, "components", "chroma_profile") > 0.999)

        // The scale's first half against its second half: per-file regions.
        let halves = try compare(
            runner, [r.melody, r.melody, "--start", "0", "--end", "4", "--start-b", "4", "--end-b", "8"])
        #expect(try number(halves, "a", "end_s") == 4 && number(halves, "b", "start_s") == 4)
        #expect(try number(halves, "similarity") < 1)

        let text = try runner.run(["compare", r.melody, r.melody, "--format", "text"])
        #expect(text.status == 0)
        let lines = text.standardOutput.split(separator: "\n")
        #expect(lines.first == "similarity 1.0000 (traditional, range 0...1)")
        #expect(lines.contains { $0.hasPrefix("  chroma_profile") && $0.contains("1.0000") })
        #expect(lines.contains { $0.hasPrefix("A: \(r.melody)") })
    }

    @Test("bad input: one clear error naming the problem and a non-zero exit")
    func errors() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let r = try Recordings(in: runner.home)
        let broken = runner.home.appendingPathComponent("broken.wav").path
        try Data("RIFF but not really a wave file".utf8).write(to: URL(fileURLWithPath: broken))
        let notAModel = runner.home.path
        let cases: [([String], String)] = [
            (["compare", "/nonexistent/a.wav", r.melody], "/nonexistent/a.wav"),
            (["compare", r.melody, broken], broken),
            (["compare", r.melody, r.melody, "--start", "100"], "beyond the end of \(r.melody)"),
            (["compare", r.melody, r.melody, "--start-b", "9", "--end-b", "20"], "beyond the end of \(r.melody)"),
            (["compare", r.melody, r.melody, "--high", "9000", "--neural", Self.postLNModel], "Nyquist"),
            (["compare", r.melody, r.melody, "--neural", notAModel], "not a usable wav2vec2 checkpoint"),
            (["compare", r.melody, r.melody, "--neural", "/nonexistent/model"], "/nonexistent/model"),
            (["analyze", r.melody, "--compare-features", notAModel], "not a usable wav2vec2 checkpoint"),
            (["analyze", "/nonexistent/a.wav", "--compare-features", Self.postLNModel], "/nonexistent/a.wav"),
        ]
        for (arguments, expected) in cases {
            let result = try runner.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            let lines = result.standardError.split(separator: "\n").filter { !$0.isEmpty }
            #expect(lines.count == 1, "\(arguments): \(result.standardError)")
            #expect(lines.first?.hasPrefix("musichal: error:") == true, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains(expected), "\(arguments): \(result.standardError)")
            #expect(result.standardOutput.isEmpty)
        }
        // Refused before any file is read (argument validation).
        let invalid: [([String], String)] = [
            (["compare", r.melody, r.melody, "--start", "5", "--end", "5"], "empty"),
            (["compare", r.melody, r.melody, "--start", "-1"], "start"),
            (["compare", r.melody, r.melody, "--low", "2000", "--high", "1000"], "--low"),
            (["compare", r.melody, r.melody, "--format", "yaml"], "--format"),
            (["analyze", r.melody, "--compare-features", Self.postLNModel, "--format", "csv"], "--compare-features"),
        ]
        for (arguments, expected) in invalid {
            let result = try runner.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.standardError.contains(expected), "\(arguments): \(result.standardError)")
            #expect(result.standardOutput.isEmpty)
        }
    }

    @Test("analyze --compare-features reports both paths on the same events, consistently")
    func compareFeatures() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let r = try Recordings(in: runner.home)
        for (file, model) in [(Self.demo, Self.postLNModel), (r.other, Self.preLNModel)] {
            let report = try object(try runner.run(["analyze", file, "--compare-features", model]))
            let events = try #require(report["events"] as? Int)
            let seconds = try number(report, "audio_seconds")
            #expect(events > 5)
            for (path, dimension) in [("traditional", 22), ("neural", 32)] {
                let side = try #require(report[path] as? [String: Any])
                #expect(side["dimension"] as? Int == dimension)
                let extraction = try number(side, "extraction_seconds")
                #expect(extraction > 0)
                #expect(abs(try number(side, "real_time_factor") - extraction / seconds) < 1e-4 * max(1, extraction))
                let variances = try #require((side["variance"] as? [String: Any])?["per_dimension"] as? [Double])
                #expect(variances.count == dimension && variances.allSatisfy { $0 >= 0 })
                #expect(
                    abs(try number(side, "variance", "mean") - variances.reduce(0, +) / Double(dimension)) < 1e-5)
                let spread = try number(side, "normalized_total_variance")
                #expect(spread > 0 && spread <= 1)
                let sparsity = try number(side, "sparsity", "fraction")
                #expect(sparsity >= 0 && sparsity <= 1)
                let tokens = try #require(side["tokens"] as? [String: Any])
                let histogram = try #require(tokens["histogram"] as? [Int])
                let vocabulary = try #require(tokens["vocabulary"] as? Int)
                #expect(tokens["vocabulary_requested"] as? Int == min(64, events))
                #expect(histogram.count == vocabulary && vocabulary <= min(64, events))
                #expect(histogram.reduce(0, +) == events)
                #expect(tokens["used"] as? Int == histogram.filter { $0 > 0 }.count)
                let entropy = try number(side, "tokens", "entropy_bits")
                #expect(entropy > 0 && entropy <= log2(Double(vocabulary)) + 1e-6)
            }
            #expect((report["neural"] as? [String: Any])?["model"] as? String == model)
        }
    }
}
