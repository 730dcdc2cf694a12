import NeuralFeatures
import Testing

@Suite("Encoder behaviour")
struct EncoderBehaviourTests {
    @Test("reusing one encoder across lengths gives the same results as fresh encoders")
    func scratchReuse() throws {
        let model = try W2VFixtures.model("group_postln")
        let shared = Wav2Vec2Encoder(model: model, multiplier: ReferenceMatrixMultiplier(), reservingSamples: 5600)
        for length in [8000, 4000, 5600, 8000, 4000] {
            let wave = try W2VFixtures.wave(length)
            let fresh = try Wav2Vec2Encoder(model: model, multiplier: ReferenceMatrixMultiplier()).encode(wave)
            #expect(try shared.encode(wave) == fresh)
        }
    }

    @Test("the shortest input is one receptive field; shorter is a clear error")
    func shortInput() throws {
        let model = try W2VFixtures.model("layer_preln")
        let encoder = Wav2Vec2Encoder(model: model, multiplier: ReferenceMatrixMultiplier())
        let wave = try W2VFixtures.wave(4000)
        let one = try encoder.encode(Array(wave[0..<400]))
        #expect(one.frameCount == 1 && one.lastHiddenState.count == 32)
        #expect(throws: NeuralFeaturesError.inputTooShort(samples: 399, minimum: 400)) {
            try encoder.encode(Array(wave[0..<399]))
        }
        #expect(throws: NeuralFeaturesError.self) { try encoder.encode([Float](repeating: .nan, count: 800)) }
    }

    @Test("hidden state indices are checked")
    func hiddenStateIndices() throws {
        let model = try W2VFixtures.model("group_postln")
        let encoder = Wav2Vec2Encoder(model: model, multiplier: ReferenceMatrixMultiplier())
        let wave = try W2VFixtures.wave(4000)
        #expect(throws: NeuralFeaturesError.self) {
            try encoder.encode(wave, request: Wav2Vec2Request(hiddenStateLayers: [3]))
        }
        #expect(throws: NeuralFeaturesError.self) {
            try encoder.encode(wave, request: Wav2Vec2Request(hiddenStateLayers: [-1]))
        }
        let output = try encoder.encode(wave, request: Wav2Vec2Request(hiddenStateLayers: [2]))
        // Post-LN: the last entry of hidden_states is last_hidden_state.
        #expect(output.hiddenStates[2] == output.lastHiddenState)
        #expect(output.hiddenStates.count == 1 && output.stages.isEmpty)
    }

    @Test("all-zero audio encodes without NaN")
    func silence() throws {
        let model = try W2VFixtures.model("layer_preln")
        let output = try Wav2Vec2Encoder(model: model, multiplier: ReferenceMatrixMultiplier())
            .encode([Float](repeating: 0, count: 1600))
        #expect(output.lastHiddenState.allSatisfy { $0.isFinite })
    }
}
