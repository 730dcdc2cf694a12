import Foundation
import Testing

/// `musichal analyze` on the shipped minuet recording, run as a musician runs it: one record per event, in the
/// documented fields, and the notes of the score.
@Suite("musichal analyze", .serialized)
struct AnalyzeCommandTests {
    private static let recording = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.flac")
    private static let score = CommandRunner.packageRoot.appendingPathComponent("Config/demo/minuet-in-g.notes.json")

    /// The score's (onset seconds, MIDI note) pairs.
    private func notes() throws -> [(onset: Double, midi: Int)] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.score)) as? [String: Any]
        let notes = try #require(object?["notes"] as? [[String: Any]])
        return notes.compactMap { note in
            guard let onset = (note["onset_s"] as? NSNumber)?.doubleValue,
                let midi = (note["midi"] as? NSNumber)?.intValue
            else { return nil }
            return (onset, midi)
        }
    }

    @Test("jsonl: one object per event with every documented field, and the score's notes within 50 ms")
    func jsonLines() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let result = try runner.run(["analyze", Self.recording.path])
        #expect(result.status == 0, "\(result.standardError)")
        let records = try result.standardOutput.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let truth = try notes()
        #expect(truth.count == 126)
        #expect(records.count == truth.count)
        for record in records {
            for key in ["onset_s", "offset_s", "midi", "f0_hz", "velocity", "rms_db", "consonance"] {
                #expect(record[key] is NSNumber, "\(key) in \(record)")
            }
            #expect((record["chroma"] as? [NSNumber])?.count == 12)
            #expect((record["features"] as? [NSNumber])?.count == 22)
            #expect(!((record["pitches"] as? [NSNumber]) ?? []).isEmpty)
            let onset = (record["onset_s"] as? NSNumber)?.doubleValue ?? -1
            let offset = (record["offset_s"] as? NSNumber)?.doubleValue ?? -1
            #expect(offset > onset)
        }
        // Every note of the score is heard at its time with its pitch.
        var heard = 0
        for note in truth {
            let match = records.first { record in
                let onset = (record["onset_s"] as? NSNumber)?.doubleValue ?? -1
                let midi = (record["midi"] as? NSNumber)?.doubleValue ?? -1
                return abs(onset - note.onset) <= 0.05 && abs(midi - Double(note.midi)) < 0.5
            }
            if match != nil { heard += 1 }
        }
        #expect(heard == truth.count, "\(heard) of \(truth.count) notes heard at their time and pitch")
    }

    @Test("csv: a header and one row per event, the minuet's first notes at their times")
    func csv() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let result = try runner.run(["analyze", Self.recording.path, "--format", "csv"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        let header = lines.first.map { $0.split(separator: ",").map(String.init) } ?? []
        #expect(Array(header.prefix(3)) == ["onset_s", "offset_s", "midi"])
        #expect(lines.count == 1 + 126)
        let firstOnsets = lines.dropFirst().prefix(3).compactMap { Double($0.split(separator: ",").first ?? "") }
        #expect(firstOnsets.count == 3 && firstOnsets[0] < 0.05 && abs(firstOnsets[1] - 0.4167) < 0.05)
    }

    @Test("a file that is not audio and an unknown format are refused with one clear error")
    func badInput() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let bad = runner.home.appendingPathComponent("notes.wav").path
        try Data("not audio at all".utf8).write(to: URL(fileURLWithPath: bad))
        let broken = try runner.run(["analyze", bad])
        #expect(broken.status != 0)
        #expect(broken.standardOutput.isEmpty)
        let lines = broken.standardError.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("musichal: error:") && lines[0].contains(bad), "\(lines)")

        let format = try runner.run(["analyze", Self.recording.path, "--format", "xml"])
        #expect(format.status != 0)
        #expect(format.standardError.contains("--format must be jsonl or csv"))
    }
}
