import Foundation
import MusicHalCore
import Testing

@Suite("Perception of the demo recording (libsndfile + FFTW)")
struct DemoRecordingPerceptionTests {
    @Test("onsets and pitches of the rendered minuet match its score")
    func minuetOnsetsAndPitches() throws {
        let truth = try DemoTruth.load()
        let (events, sampleRate) = try listenedEvents(toRecordingAt: TestPaths.demoRecording)
        // Match detected onsets to the score within ±50 ms, one to one, in order.
        var matched = 0
        var pitchCorrect = 0
        var used = Set<Int>()
        var errors: [Double] = []
        for note in truth.notes {
            let candidates = events.enumerated().filter { index, event in
                !used.contains(index) && abs(Double(event.onsetFrame) / sampleRate - note.onset_s) <= 0.05
            }
            guard
                let (index, event) = candidates.min(by: {
                    abs(Double($0.1.onsetFrame) / sampleRate - note.onset_s)
                        < abs(Double($1.1.onsetFrame) / sampleRate - note.onset_s)
                })
            else { continue }
            used.insert(index)
            matched += 1
            errors.append(Double(event.onsetFrame) / sampleRate - note.onset_s)
            if let midi = event.midiPitch, abs(midi - Double(note.midi)) < 0.5 { pitchCorrect += 1 }
        }
        let precision = Double(matched) / Double(max(1, events.count))
        let recall = Double(matched) / Double(truth.notes.count)
        let f1 = 2 * precision * recall / max(1e-9, precision + recall)
        let pitchAccuracy = Double(pitchCorrect) / Double(max(1, matched))
        let meanError = errors.reduce(0, +) / Double(max(1, errors.count))
        print(
            "demo perception: events \(events.count) truth \(truth.notes.count) onset F1 \(f1) "
                + "pitch accuracy \(pitchAccuracy) mean onset error \(meanError * 1000) ms")
        #expect(f1 >= 0.95)
        #expect(pitchAccuracy >= 0.97)
    }
}
