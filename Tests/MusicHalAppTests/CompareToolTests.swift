import MusicHalCore
import TestSignals
import Testing

@testable import MusicHalApp

/// The traditional comparison on synthetic recordings with known relations.
@Suite("Traditional similarity of recordings")
struct CompareToolTests {
    private let rate = 48_000.0

    /// A signal with the listener's events, computed once.
    private struct Heard {
        var samples: [Float]
        var events: [MusicalEvent]
    }

    private func hear(_ samples: [Float]) throws -> Heard {
        Heard(samples: samples, events: try ListenerPass.events(samples, sampleRate: rate).events)
    }

    private func compare(_ a: Heard, _ b: Heard) throws -> (overall: Double, chroma: Double, events: Double) {
        let components = CompareTool.traditionalComponents(
            a: a.samples, eventsA: a.events, b: b.samples, eventsB: b.events, sampleRate: rate)
        let chroma = try #require(components.first { $0.name == "chroma_profile" }?.value)
        let events = try #require(components.first { $0.name == "event_features" }?.value)
        return ((chroma + events) / 2, chroma, events)
    }

    @Test("identical 1; 6 dB quieter about 1; tritone up lower in chroma; a different melody lower overall")
    func orderings() throws {
        // A tonal melody: the C major scale up and down.
        let notes = SyntheticMelody.scale
        let melody = try hear(SyntheticMelody.render(notes, sampleRate: rate))
        let quieter = try hear(melody.samples.map { $0 * 0.5 })
        let tritone = try hear(
            SyntheticMelody.render(
                notes.map {
                    var n = $0; n.midi += 6; return n
                }, sampleRate: rate))
        let other = try hear(SyntheticMelody.render(SyntheticMelody.randomMelody(count: 15, seed: 7), sampleRate: rate))

        let same = try compare(melody, melody)
        #expect(same.overall == 1 && same.chroma == 1 && same.events == 1)

        let quiet = try compare(melody, quieter)
        let moved = try compare(melody, tritone)
        let different = try compare(melody, other)
        #expect(quiet.chroma > 0.999, "quieter chroma \(quiet.chroma)")
        #expect(quiet.events > 0.98, "quieter events \(quiet.events)")
        #expect(moved.chroma < 0.7, "tritone chroma \(moved.chroma)")
        #expect(moved.chroma < quiet.chroma - 0.3)
        #expect(different.overall < quiet.overall - 0.1, "different \(different.overall) vs quieter \(quiet.overall)")
        #expect(different.events < quiet.events)
        // Symmetric.
        let swapped = try compare(tritone, melody)
        #expect(abs(swapped.overall - moved.overall) < 1e-9)
    }
}
