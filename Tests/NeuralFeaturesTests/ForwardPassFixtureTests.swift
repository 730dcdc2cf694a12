import NeuralFeatures
import Testing

/// The forward pass against every output of the reference implementation (wav2vec2.md §10, §13).
@Suite("wav2vec2 forward pass against the reference fixtures")
struct ForwardPassFixtureTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let family: String
        let length: Int
        var testDescription: String { "\(family), \(length) samples" }
    }

    static let cases = W2VFixtures.families.flatMap { family in
        W2VFixtures.lengths.map { Case(family: family, length: $0) }
    }

    @Test("input normalisation matches the feature extractor's", arguments: W2VFixtures.lengths)
    func normalisation(length: Int) throws {
        let raw = try W2VFixtures.wave(length)
        let expected = try W2VFixtures.floats("inputs/wave_\(length).input_values.f32")
        let normalized = Wav2Vec2Preprocessing().normalized(raw)
        #expect(maxAbsDifference(normalized, expected) <= 1e-6)
    }

    @Test("weight norm is folded per kernel tap", arguments: W2VFixtures.families)
    func foldedPositionalWeight(family: String) throws {
        let expected = try W2VFixtures.floats("\(family)/pos_conv_weight_folded.f32")
        for weights in ["model.safetensors", "model.parametrizations.safetensors"] {
            let model = try W2VFixtures.model(family, weights: weights)
            #expect(maxAbsDifference(model.foldedPositionalWeight(), expected) <= 1e-6, "\(weights)")
        }
    }

    @Test("every stage matches within the specified tolerances", arguments: cases)
    func stages(testCase: Case) throws {
        let model = try W2VFixtures.model(testCase.family)
        let encoder = Wav2Vec2Encoder(model: model, multiplier: ReferenceMatrixMultiplier())
        let layers = model.configuration.layerCount
        let output = try encoder.encode(
            W2VFixtures.wave(testCase.length),
            request: Wav2Vec2Request(
                stages: [.convFeatures, .extractFeatures, .featureProjection, .positionalEmbedding],
                hiddenStateLayers: Array(0...layers)))
        let folder = "\(testCase.family)/len_\(testCase.length)"
        let frames = (testCase.length - 400) / 320 + 1
        #expect(output.frameCount == frames)

        let tolerances: [(Wav2Vec2StageKey, String, Float)] = [
            (.convFeatures, "conv_features", 1e-5), (.extractFeatures, "extract_features", 1e-4),
            (.featureProjection, "feature_projection", 1e-4), (.positionalEmbedding, "pos_conv_embedding", 1e-4),
        ]
        for (key, file, tolerance) in tolerances {
            let expected = try W2VFixtures.floats("\(folder)/\(file).f32")
            let actual = try #require(output.stages[key])
            let error = maxAbsDifference(actual, expected)
            #expect(error <= tolerance, "\(file): max abs error \(error)")
        }
        let hiddenStates = try W2VFixtures.floats("\(folder)/hidden_states.f32")
        let size = frames * model.configuration.hiddenSize
        #expect(hiddenStates.count == (layers + 1) * size)
        for layer in 0...layers {
            let expected = Array(hiddenStates[(layer * size)..<((layer + 1) * size)])
            let error = maxAbsDifference(try #require(output.hiddenStates[layer]), expected)
            #expect(error <= 1e-4, "hidden_states[\(layer)]: max abs error \(error)")
        }
        let last = try W2VFixtures.floats("\(folder)/last_hidden_state.f32")
        let lastError = maxAbsDifference(output.lastHiddenState, last)
        #expect(lastError <= 1e-4, "last_hidden_state: max abs error \(lastError)")
        let pooled = try W2VFixtures.floats("\(folder)/pooled_mean.f32")
        let pooledError = maxAbsDifference(output.pooledMean, pooled)
        #expect(pooledError <= 1e-5, "pooled_mean: max abs error \(pooledError)")
    }

    @Test("the pre-LN family's last hidden state is the final LayerNorm of hidden_states[-1]")
    func preLNLastStateDiffers() throws {
        let model = try W2VFixtures.model("layer_preln")
        let encoder = Wav2Vec2Encoder(model: model, multiplier: ReferenceMatrixMultiplier())
        let layers = model.configuration.layerCount
        let output = try encoder.encode(W2VFixtures.wave(4000), request: Wav2Vec2Request(hiddenStateLayers: [layers]))
        // transformers 5.x: hidden_states[-1] precedes the final norm, so the two must differ markedly.
        #expect(maxAbsDifference(try #require(output.hiddenStates[layers]), output.lastHiddenState) > 0.1)
    }

    @Test("both weight-norm namings load identical models", arguments: W2VFixtures.families)
    func namingsAgree(family: String) throws {
        let legacy = try W2VFixtures.model(family, weights: "model.safetensors")
        let modern = try W2VFixtures.model(family, weights: "model.parametrizations.safetensors")
        #expect(legacy.parameterCount == modern.parameterCount)
        let wave = try W2VFixtures.wave(5600)
        let a = try Wav2Vec2Encoder(model: legacy, multiplier: ReferenceMatrixMultiplier()).encode(wave)
        let b = try Wav2Vec2Encoder(model: modern, multiplier: ReferenceMatrixMultiplier()).encode(wave)
        #expect(a == b)
    }
}
