/// Weights of one convolution of the feature encoder, rearranged for the time-major forward pass.
struct ConvolutionLayer: Sendable {
    let inputChannels: Int
    let outputChannels: Int
    let kernel: Int
    let stride: Int
    /// `taps[k][i][o] = W[o, i, k]`: one C_in×C_out matrix per kernel tap.
    let taps: FloatTensor
    let bias: FloatTensor?
    /// GroupNorm (family a, layer 0) or LayerNorm (family b) affine parameters.
    let normWeight: FloatTensor?
    let normBias: FloatTensor?
}

/// One transformer layer; linear weights stay in the checkpoint's `[out, in]` layout (multiplied transposed).
struct TransformerLayer: Sendable {
    let queryWeight, queryBias, keyWeight, keyBias, valueWeight, valueBias: FloatTensor
    let outputWeight, outputBias: FloatTensor
    let attentionNormWeight, attentionNormBias: FloatTensor
    let intermediateWeight, intermediateBias, outputDenseWeight, outputDenseBias: FloatTensor
    let finalNormWeight, finalNormBias: FloatTensor
}

/// A loaded, validated wav2vec 2.0 encoder (`Wav2Vec2Model`, eval mode): configuration, preprocessing and
/// float32 weights. Immutable and shareable; run it with a `Wav2Vec2Encoder`.
///
/// Large linear weights point straight into the checkpoint's bytes (no copy), so the storage stays alive as
/// long as the model. Weight norm of the positional convolution is folded once here.
public final class Wav2Vec2Model: Sendable {
    /// The architecture.
    public let configuration: Wav2Vec2Configuration
    /// How raw audio is prepared.
    public let preprocessing: Wav2Vec2Preprocessing
    /// Number of float parameters used for inference.
    public let parameterCount: Int

    let convolutions: [ConvolutionLayer]
    let projectionNormWeight, projectionNormBias, projectionWeight, projectionBias: FloatTensor
    /// `[group][k][i][o]`: the folded positional weight, one (K·H/G)×(H/G) matrix per group.
    let positionalTaps: FloatTensor
    let positionalBias: FloatTensor
    let encoderNormWeight, encoderNormBias: FloatTensor
    let layers: [TransformerLayer]

    /// Prefixes stripped from tensor names (pre-training and CTC checkpoints use `wav2vec2.`).
    static let namePrefixes = ["wav2vec2."]

    /// Builds the model from a parsed weights file, validating every tensor the configuration needs.
    /// Tensors of heads the encoder does not use (`lm_head.*`, `quantizer.*`, `project_*`,
    /// `masked_spec_embed`, ...) are ignored.
    public init(
        configuration: Wav2Vec2Configuration, preprocessing: Wav2Vec2Preprocessing, weights: SafetensorsArchive
    ) throws {
        self.configuration = configuration
        self.preprocessing = preprocessing
        let reader = TensorReader(archive: weights)
        let c = configuration
        let hidden = c.hiddenSize

        var convolutions: [ConvolutionLayer] = []
        var inputChannels = 1
        for index in c.convolutionChannels.indices {
            let prefix = "feature_extractor.conv_layers.\(index)."
            let outputChannels = c.convolutionChannels[index]
            let kernel = c.convolutionKernels[index]
            let weight = try reader.tensor(prefix + "conv.weight", [outputChannels, inputChannels, kernel])
            let bias = c.convolutionBias ? try reader.tensor(prefix + "conv.bias", [outputChannels]) : nil
            let hasNorm = c.featureEncoderNorm == .layer || index == 0
            let normWeight = hasNorm ? try reader.tensor(prefix + "layer_norm.weight", [outputChannels]) : nil
            let normBias = hasNorm ? try reader.tensor(prefix + "layer_norm.bias", [outputChannels]) : nil
            let taps = OwnedFloats(count: weight.count)
            for o in 0..<outputChannels {
                for i in 0..<inputChannels {
                    for k in 0..<kernel {
                        taps.pointer[(k * inputChannels + i) * outputChannels + o] =
                            weight[(o * inputChannels + i) * kernel + k]
                    }
                }
            }
            convolutions.append(
                ConvolutionLayer(
                    inputChannels: inputChannels, outputChannels: outputChannels, kernel: kernel,
                    stride: c.convolutionStrides[index],
                    taps: FloatTensor(owned: taps, shape: [kernel, inputChannels, outputChannels]),
                    bias: bias, normWeight: normWeight, normBias: normBias))
            inputChannels = outputChannels
        }
        self.convolutions = convolutions

        let features = c.featureChannels
        projectionNormWeight = try reader.tensor("feature_projection.layer_norm.weight", [features])
        projectionNormBias = try reader.tensor("feature_projection.layer_norm.bias", [features])
        projectionWeight = try reader.tensor("feature_projection.projection.weight", [hidden, features])
        projectionBias = try reader.tensor("feature_projection.projection.bias", [hidden])

        let groups = c.positionalGroups
        let groupWidth = hidden / groups
        let kernel = c.positionalKernel
        let taps = try reader.positionalTaps(hidden: hidden, groupWidth: groupWidth, kernel: kernel)
        positionalTaps = FloatTensor(owned: taps, shape: [groups, kernel, groupWidth, groupWidth])
        positionalBias = try reader.tensor("encoder.pos_conv_embed.conv.bias", [hidden])
        encoderNormWeight = try reader.tensor("encoder.layer_norm.weight", [hidden])
        encoderNormBias = try reader.tensor("encoder.layer_norm.bias", [hidden])

        let inner = c.intermediateSize
        layers = try (0..<c.layerCount).map { index in
            let p = "encoder.layers.\(index)."
            return TransformerLayer(
                queryWeight: try reader.tensor(p + "attention.q_proj.weight", [hidden, hidden]),
                queryBias: try reader.tensor(p + "attention.q_proj.bias", [hidden]),
                keyWeight: try reader.tensor(p + "attention.k_proj.weight", [hidden, hidden]),
                keyBias: try reader.tensor(p + "attention.k_proj.bias", [hidden]),
                valueWeight: try reader.tensor(p + "attention.v_proj.weight", [hidden, hidden]),
                valueBias: try reader.tensor(p + "attention.v_proj.bias", [hidden]),
                outputWeight: try reader.tensor(p + "attention.out_proj.weight", [hidden, hidden]),
                outputBias: try reader.tensor(p + "attention.out_proj.bias", [hidden]),
                attentionNormWeight: try reader.tensor(p + "layer_norm.weight", [hidden]),
                attentionNormBias: try reader.tensor(p + "layer_norm.bias", [hidden]),
                intermediateWeight: try reader.tensor(p + "feed_forward.intermediate_dense.weight", [inner, hidden]),
                intermediateBias: try reader.tensor(p + "feed_forward.intermediate_dense.bias", [inner]),
                outputDenseWeight: try reader.tensor(p + "feed_forward.output_dense.weight", [hidden, inner]),
                outputDenseBias: try reader.tensor(p + "feed_forward.output_dense.bias", [hidden]),
                finalNormWeight: try reader.tensor(p + "final_layer_norm.weight", [hidden]),
                finalNormBias: try reader.tensor(p + "final_layer_norm.bias", [hidden]))
        }
        parameterCount = reader.parameterCount
    }

    /// The folded positional convolution weight `W[o, i, k] = g[k] · v[o, i, k] / ‖v[·, ·, k]‖` in the
    /// checkpoint's `[H, H/G, K]` layout (wav2vec2.md §6); for checks against the reference.
    public func foldedPositionalWeight() -> [Float] {
        let hidden = configuration.hiddenSize
        let groupWidth = hidden / configuration.positionalGroups
        let kernel = configuration.positionalKernel
        var weight = [Float](repeating: 0, count: hidden * groupWidth * kernel)
        for o in 0..<hidden {
            let group = o / groupWidth
            for i in 0..<groupWidth {
                for k in 0..<kernel {
                    weight[(o * groupWidth + i) * kernel + k] =
                        positionalTaps[((group * kernel + k) * groupWidth + i) * groupWidth + o % groupWidth]
                }
            }
        }
        return weight
    }
}

/// Finds tensors by canonical name (any accepted prefix), checks shape and finiteness, counts parameters.
private final class TensorReader {
    let archive: SafetensorsArchive
    var parameterCount = 0

    init(archive: SafetensorsArchive) { self.archive = archive }

    /// The stored name of canonical `name`, or nil.
    func storedName(_ name: String) -> String? {
        if archive.entries[name] != nil { return name }
        for prefix in Wav2Vec2Model.namePrefixes where archive.entries[prefix + name] != nil { return prefix + name }
        return nil
    }

    func tensor(_ name: String, _ shape: [Int]) throws -> FloatTensor {
        guard let stored = storedName(name) else {
            throw NeuralFeaturesError.missingTensor(file: archive.label, name: name)
        }
        return try read(stored, shape)
    }

    func read(_ stored: String, _ shape: [Int]) throws -> FloatTensor {
        let entry = archive.entries[stored]!
        guard entry.shape == shape else {
            throw NeuralFeaturesError.shapeMismatch(
                file: archive.label, name: stored, expected: shape, found: entry.shape)
        }
        let tensor = try archive.floatTensor(named: stored)
        guard allFinite(tensor.pointer, count: tensor.count) else {
            throw NeuralFeaturesError.nonFiniteTensor(file: archive.label, name: stored)
        }
        parameterCount += tensor.count
        return tensor
    }

    /// The positional weight, folded from either weight-norm naming (or taken as stored when already folded),
    /// written straight into the grouped per-tap layout `[group][k][i][o]` so no `[H, H/G, K]` copy is kept.
    func positionalTaps(hidden: Int, groupWidth: Int, kernel: Int) throws -> OwnedFloats {
        let base = "encoder.pos_conv_embed.conv."
        let shape = [hidden, groupWidth, kernel]
        let namings = [
            ("weight_g", "weight_v"), ("parametrizations.weight.original0", "parametrizations.weight.original1"),
        ]
        var source: FloatTensor?
        var scales = [Double](repeating: 1, count: kernel)
        var foldedName = base + "weight"
        for (gName, vName) in namings {
            guard let gStored = storedName(base + gName) else { continue }
            guard let vStored = storedName(base + vName) else {
                throw NeuralFeaturesError.missingTensor(file: archive.label, name: base + vName)
            }
            let g = try read(gStored, [1, 1, kernel])
            let v = try read(vStored, shape)
            // Weight norm over dim 2: one norm per kernel tap, over all output and input channels.
            var norms = [Double](repeating: 0, count: kernel)
            for row in 0..<(hidden * groupWidth) {
                for k in 0..<kernel {
                    let value = Double(v[row * kernel + k])
                    norms[k] += value * value
                }
            }
            scales = (0..<kernel).map { Double(g[$0]) / norms[$0].squareRoot() }
            source = v
            foldedName = vStored
            break
        }
        if source == nil {
            guard let stored = storedName(base + "weight") else {
                throw NeuralFeaturesError.missingTensor(file: archive.label, name: base + "weight_g")
            }
            source = try read(stored, shape)
        }
        let weight = source!
        let taps = OwnedFloats(count: hidden * groupWidth * kernel)
        for o in 0..<hidden {
            let group = o / groupWidth
            let local = o % groupWidth
            for i in 0..<groupWidth {
                for k in 0..<kernel {
                    taps.pointer[((group * kernel + k) * groupWidth + i) * groupWidth + local] =
                        Float(Double(weight[(o * groupWidth + i) * kernel + k]) * scales[k])
                }
            }
        }
        guard allFinite(taps.pointer, count: taps.count) else {
            throw NeuralFeaturesError.nonFiniteTensor(file: archive.label, name: foldedName)
        }
        return taps
    }
}

/// Whether every value is finite; vectorised, so checking a large checkpoint costs little beyond reading it.
func allFinite(_ pointer: UnsafePointer<Float>, count: Int) -> Bool {
    var accumulator = SIMD8<Float>()
    var index = 0
    let raw = UnsafeRawPointer(pointer)
    while index + 8 <= count {
        // x · 0 is 0 for finite x and NaN for infinity or NaN; NaN survives the sum.
        accumulator += raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self) * 0
        index += 8
    }
    var tail: Float = 0
    while index < count {
        tail += pointer[index] * 0
        index += 1
    }
    return accumulator.sum().isFinite && tail.isFinite
}
