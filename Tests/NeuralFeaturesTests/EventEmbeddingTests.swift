import NeuralFeatures
import Testing

@Suite("Per-event embeddings")
struct EventEmbeddingTests {
    let grid = EncoderFrameGrid(configuration: Wav2Vec2Configuration(), sampleRate: 16000)

    @Test("the grid is the conv stack's hop and receptive field")
    func gridNumbers() {
        #expect(grid.hop == 320 && grid.receptiveField == 400)
        #expect(grid.centreSample(ofFrame: 0) == 200 && grid.centreSample(ofFrame: 3) == 1160)
    }

    @Test(
        "windows cover the frames whose centres they contain",
        arguments: [
            // (onset s, offset s, frames): centres at 12.5 ms + 20 ms·t.
            (0.0, 0.1, 0..<5), (0.012, 0.03, 0..<1), (0.013, 0.04, 1..<2), (0.1, 0.2, 5..<10),
            (0.41, 0.9, 20..<24),
        ] as [(Double, Double, Range<Int>)])
    func windows(onset: Double, offset: Double, frames: Range<Int>) throws {
        #expect(try grid.frames(for: EventWindow(onset: onset, offset: offset), frameCount: 24) == frames)
    }

    @Test("a window shorter than a hop takes the nearest frame, clipped to the input")
    func shortWindows() throws {
        #expect(try grid.frames(for: EventWindow(onset: 0.014, offset: 0.016), frameCount: 24) == 0..<1)
        #expect(try grid.frames(for: EventWindow(onset: 0.024, offset: 0.026), frameCount: 24) == 1..<2)
        #expect(try grid.frames(for: EventWindow(onset: 5, offset: 6), frameCount: 24) == 23..<24)
        #expect(throws: NeuralFeaturesError.self) {
            try grid.frames(for: EventWindow(onset: 1, offset: 1), frameCount: 24)
        }
    }

    @Test("embedEvents pools the same hidden states encode returns")
    func poolingMatchesEncode() throws {
        let model = try W2VFixtures.model("group_postln")
        let encoder = Wav2Vec2Encoder(model: model, multiplier: ReferenceMatrixMultiplier())
        let wave = try W2VFixtures.wave(8000)
        let windows = [EventWindow(onset: 0, offset: 0.5), EventWindow(onset: 0.1, offset: 0.2)]
        let embeddings = try encoder.embedEvents(wave, windows: windows)
        let output = try encoder.encode(wave)
        #expect(
            maxAbsDifference(embeddings[0], try W2VFixtures.floats("group_postln/len_8000/pooled_mean.f32")) <= 1e-5)
        #expect(embeddings[0] == output.pooledMean)
        var manual = [Double](repeating: 0, count: 32)
        for t in 5..<10 {
            for c in 0..<32 { manual[c] += Double(output.lastHiddenState[t * 32 + c]) / 5 }
        }
        #expect(maxAbsDifference(embeddings[1], manual.map(Float.init)) <= 1e-6)
        #expect(throws: NeuralFeaturesError.self) {
            try encoder.embedEvents(wave, windows: [EventWindow(onset: 0.3, offset: 0.1)])
        }
    }
}
