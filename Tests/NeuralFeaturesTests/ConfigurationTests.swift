import NeuralFeatures
import Testing

@Suite("config.json and preprocessor_config.json")
struct ConfigurationTests {
    func configuration(_ text: String) throws -> Wav2Vec2Configuration {
        try Wav2Vec2Configuration(json: JSONValue.parse(Array(text.utf8), file: "config.json"), file: "config.json")
    }

    @Test("reads both fixture families")
    func families() throws {
        let group = try W2VFixtures.configuration("group_postln")
        #expect(group.hiddenSize == 32 && group.layerCount == 2 && group.attentionHeadCount == 4)
        #expect(group.intermediateSize == 64 && group.positionalKernel == 16 && group.positionalGroups == 4)
        #expect(group.featureEncoderNorm == .group && !group.stableLayerNorm && !group.convolutionBias)
        let layer = try W2VFixtures.configuration("layer_preln")
        #expect(layer.featureEncoderNorm == .layer && layer.stableLayerNorm && layer.convolutionBias)
        #expect(layer.convolutionKernels == [10, 3, 3, 3, 3, 2, 2])
        #expect(layer.convolutionStrides == [5, 2, 2, 2, 2, 2, 2])
    }

    @Test("absent keys take the base architecture's defaults")
    func defaults() throws {
        let base = try configuration("{}")
        #expect(base == Wav2Vec2Configuration())
        #expect(base.hiddenSize == 768 && base.layerCount == 12 && base.intermediateSize == 3072)
        #expect(base.receptiveField == 400 && base.frameHop == 320)
    }

    @Test(
        "frame counts follow the spec's table",
        arguments: [(399, 0), (400, 1), (4000, 12), (5600, 17), (8000, 24), (16000, 49), (48000, 149)])
    func frameCounts(samples: Int, frames: Int) {
        #expect(Wav2Vec2Configuration().frameCount(forSamples: samples) == frames)
    }

    @Test(
        "rejects what it cannot run, naming the key",
        arguments: [
            (#"{"add_adapter": true}"#, "add_adapter"), (#"{"adapter_attn_dim": 16}"#, "adapter_attn_dim"),
            (#"{"hidden_act": "gelu_new"}"#, "hidden_act"), (#"{"feat_extract_norm": "batch"}"#, "feat_extract_norm"),
            (#"{"conv_dim": [512, 512]}"#, "conv_dim"), (#"{"hidden_size": 100}"#, "num_attention_heads"),
            (#"{"hidden_size": -1}"#, "hidden_size"), (#"{"model_type": "hubert"}"#, "model_type"),
            (#"{"conv_bias": 1}"#, "conv_bias"), (#"{"layer_norm_eps": "x"}"#, "layer_norm_eps"),
            (#"{"num_conv_pos_embedding_groups": 5}"#, "num_conv_pos_embedding_groups"),
        ])
    func rejects(text: String, key: String) {
        let error = #expect(throws: NeuralFeaturesError.self) { try configuration(text) }
        #expect(error?.description.contains("'\(key)'") == true, "\(String(describing: error))")
        #expect(error?.description.contains("config.json") == true)
    }

    @Test("ignores dropout, masking, quantizer and CTC keys")
    func ignoresTrainingKeys() throws {
        let parsed = try configuration(
            #"{"hidden_dropout": 0.1, "mask_time_prob": 0.05, "num_codevectors_per_group": 320, "vocab_size": 32,"#
                + #" "layerdrop": 0.1, "ctc_loss_reduction": "sum", "adapter_attn_dim": null, "add_adapter": false}"#)
        #expect(parsed == Wav2Vec2Configuration())
    }

    @Test("preprocessor settings")
    func preprocessing() throws {
        let fixture = try Wav2Vec2Preprocessing(
            json: W2VFixtures.json("group_postln/preprocessor_config.json"), file: "p.json")
        #expect(fixture == Wav2Vec2Preprocessing(normalize: true, sampleRate: 16000))
        let off = try Wav2Vec2Preprocessing(
            json: JSONValue.parse(Array(#"{"do_normalize": false, "sampling_rate": 16000}"#.utf8), file: "p"),
            file: "p")
        #expect(!off.normalize)
        #expect(off.normalized([1, 2, 3]) == [1, 2, 3])
        #expect(Wav2Vec2Preprocessing().normalized([0, 0, 0]) == [0, 0, 0])
        #expect(throws: NeuralFeaturesError.self) {
            try Wav2Vec2Preprocessing(json: JSONValue.parse(Array(#"{"feature_size": 2}"#.utf8), file: "p"), file: "p")
        }
    }
}
