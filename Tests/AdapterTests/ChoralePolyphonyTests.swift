import Foundation
import MusicHalCore
import Testing

/// Ground truth written by Scripts/make-chorale-recording.py.
private struct ChoraleTruth: Decodable {
    struct Chord: Decodable {
        let onset_s: Double
        let duration_s: Double
        let midi: [Int]
    }
    let chords: [Chord]
}

@Suite("Polyphonic pitch sets on rendered piano chorales")
struct ChoralePolyphonyTests {
    @Test("note-level F1 of the pitch sets against the chorales' four voices")
    func choraleF1() throws {
        let directory = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/chorales")
        let truth = try JSONDecoder().decode(
            ChoraleTruth.self, from: Data(contentsOf: directory.appendingPathComponent("piano-chorales.notes.json")))
        let (events, sampleRate) = try listenedEvents(
            toRecordingAt: directory.appendingPathComponent("piano-chorales.flac").path, blockSize: 512)
        var truePositives = 0
        var detected = 0
        var expected = 0
        var exactChords = 0
        for chord in truth.chords {
            expected += chord.midi.count
            guard
                let event = events.first(where: {
                    abs(Double($0.onsetFrame) / sampleRate - chord.onset_s) < 0.05
                })
            else { continue }
            detected += event.pitches.count
            truePositives += Set(event.pitches).intersection(chord.midi).count
            if Set(event.pitches) == Set(chord.midi) { exactChords += 1 }
        }
        let precision = Double(truePositives) / Double(max(1, detected))
        let recall = Double(truePositives) / Double(max(1, expected))
        let f1 = 2 * precision * recall / max(1e-9, precision + recall)
        print(
            "chorale polyphony: \(truth.chords.count) chords, \(events.count) events, note precision \(precision), "
                + "recall \(recall), F1 \(f1), exact chords \(exactChords)")
        #expect(events.count == truth.chords.count)
        // Measured 0.79 (precision 0.91, recall 0.70): misses are voices hidden under the bass's partials.
        #expect(f1 >= 0.75, "note-level F1 \(f1)")
        #expect(precision >= 0.85, "note-level precision \(precision)")
    }
}
