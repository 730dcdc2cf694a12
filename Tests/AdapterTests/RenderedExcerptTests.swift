import Foundation
import MusicHalCore
import Testing

/// Rendered instruments whose attacks the listener hears twice (see Tests/Fixtures/rendered-excerpts/README.md).
@Suite("Listener on rendered excerpts")
struct RenderedExcerptTests {
    /// Excerpt file and the note whose attack is heard twice (onset seconds within the excerpt, MIDI note).
    static let excerpts: [(file: String, note: (onset: Double, midi: Int))] = [
        ("voice-oohs-7.9s.flac", (0.642, 67)),
        ("voice-oohs-38.2s.flac", (0.550, 67)),
        ("trumpet-3.3s.flac", (0.450, 79)),
    ]

    @Test(
        "an attack whose flux peaks twice, at a transient and as the note swells, is one note",
        arguments: excerpts.indices)
    func attackHeardTwice(excerpt: Int) throws {
        let (file, note) = Self.excerpts[excerpt]
        let path = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/rendered-excerpts/\(file)").path
        let (events, sampleRate) = try listenedEvents(toRecordingAt: path)
        let heard = events.map {
            (
                onset: Double($0.onsetFrame) / sampleRate,
                seconds: Double($0.offsetFrame - $0.onsetFrame) / sampleRate, midi: $0.midiNote
            )
        }
        // Before, the second peak started a note at the first one's frame, ending the first after one frame.
        #expect(heard.allSatisfy { $0.seconds >= 0.03 }, "\(file): events \(heard)")
        let near = heard.filter { abs($0.onset - note.onset) < 0.05 }
        #expect(near.count == 1 && near.first?.midi == note.midi, "\(file): note \(note), events \(heard)")
    }
}
