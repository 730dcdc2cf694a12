/// How the feature encoder's convolutions are normalised (`feat_extract_norm`).
public enum FeatureEncoderNorm: String, Sendable, Equatable {
    /// Family (a): GroupNorm with one group per channel on the first layer only, over time.
    case group
    /// Family (b): LayerNorm over channels after every layer.
    case layer
}

/// The inference-relevant part of a wav2vec 2.0 `config.json` (wav2vec2.md §2).
///
/// Absent keys take `Wav2Vec2Config()`'s defaults, which are the base architecture; `init()` gives exactly those.
public struct Wav2Vec2Configuration: Sendable, Equatable {
    /// Transformer width H (`hidden_size`).
    public var hiddenSize = 768
    /// Number of transformer layers L (`num_hidden_layers`).
    public var layerCount = 12
    /// Attention heads (`num_attention_heads`).
    public var attentionHeadCount = 12
    /// Feed-forward width I (`intermediate_size`).
    public var intermediateSize = 3072
    /// Epsilon of the projection and encoder LayerNorms (`layer_norm_eps`).
    public var layerNormEpsilon: Float = 1e-5
    /// Normalisation of the convolutional feature encoder (`feat_extract_norm`).
    public var featureEncoderNorm = FeatureEncoderNorm.group
    /// Output channels of each convolution (`conv_dim`).
    public var convolutionChannels = [Int](repeating: 512, count: 7)
    /// Kernel width of each convolution (`conv_kernel`).
    public var convolutionKernels = [10, 3, 3, 3, 3, 2, 2]
    /// Stride of each convolution (`conv_stride`).
    public var convolutionStrides = [5, 2, 2, 2, 2, 2, 2]
    /// Whether the convolutions have biases (`conv_bias`).
    public var convolutionBias = false
    /// Kernel width of the positional convolution (`num_conv_pos_embeddings`).
    public var positionalKernel = 128
    /// Groups of the positional convolution (`num_conv_pos_embedding_groups`).
    public var positionalGroups = 16
    /// Pre-LN transformer with a final LayerNorm (`do_stable_layer_norm`, family b) instead of post-LN.
    public var stableLayerNorm = false

    /// The base architecture (`Wav2Vec2Config()` defaults).
    public init() {}

    /// Width of one attention head.
    public var headDimension: Int { hiddenSize / attentionHeadCount }

    /// Channels of the last convolution, the input width of the feature projection.
    public var featureChannels: Int { convolutionChannels.last ?? 0 }

    /// Samples between successive encoder frames: the product of the strides (320 for the standard stack).
    public var frameHop: Int { convolutionStrides.reduce(1, *) }

    /// Input samples that one encoder frame sees (400 for the standard stack): the shortest valid input.
    public var receptiveField: Int {
        var field = 1
        var jump = 1
        for (kernel, stride) in zip(convolutionKernels, convolutionStrides) {
            field += (kernel - 1) * jump
            jump *= stride
        }
        return field
    }

    /// Encoder frames produced from `samples` input samples (0 when shorter than the receptive field).
    public func frameCount(forSamples samples: Int) -> Int {
        var length = samples
        for (kernel, stride) in zip(convolutionKernels, convolutionStrides) {
            guard length >= kernel else { return 0 }
            length = (length - kernel) / stride + 1
        }
        return length
    }

    /// Reads a `config.json` document; `file` names it in errors.
    public init(json: JSONValue, file: String) throws {
        guard let keys = json.objectValue else {
            throw NeuralFeaturesError.invalidConfiguration(file: file, key: "(document)", reason: "not a JSON object")
        }
        func invalid(_ key: String, _ reason: String) -> NeuralFeaturesError {
            .invalidConfiguration(file: file, key: key, reason: reason)
        }
        func unsupported(_ key: String, _ reason: String) -> NeuralFeaturesError {
            .unsupportedConfiguration(file: file, key: key, reason: reason)
        }
        func positiveInt(_ key: String, _ fallback: Int) throws -> Int {
            guard let value = keys[key] else { return fallback }
            guard let number = value.intValue, number > 0 else { throw invalid(key, "expected a positive integer") }
            return number
        }
        func positiveInts(_ key: String, _ fallback: [Int]) throws -> [Int] {
            guard let value = keys[key] else { return fallback }
            guard let items = value.arrayValue, !items.isEmpty else {
                throw invalid(key, "expected a list of integers")
            }
            return try items.map {
                guard let number = $0.intValue, number > 0 else { throw invalid(key, "expected positive integers") }
                return number
            }
        }
        func flag(_ key: String, _ fallback: Bool) throws -> Bool {
            guard let value = keys[key] else { return fallback }
            guard let bool = value.boolValue else { throw invalid(key, "expected true or false") }
            return bool
        }

        if let type = keys["model_type"] {
            guard type.stringValue == "wav2vec2" else {
                throw unsupported("model_type", "only wav2vec2 checkpoints are supported, found \(type)")
            }
        }
        hiddenSize = try positiveInt("hidden_size", hiddenSize)
        layerCount = try positiveInt("num_hidden_layers", layerCount)
        attentionHeadCount = try positiveInt("num_attention_heads", attentionHeadCount)
        intermediateSize = try positiveInt("intermediate_size", intermediateSize)
        if let value = keys["layer_norm_eps"] {
            guard let epsilon = value.doubleValue, epsilon > 0, epsilon < 1 else {
                throw invalid("layer_norm_eps", "expected a small positive number")
            }
            layerNormEpsilon = Float(epsilon)
        }
        for key in ["hidden_act", "feat_extract_activation"] {
            guard let value = keys[key] else { continue }
            guard let name = value.stringValue else { throw invalid(key, "expected a string") }
            // "gelu" is the exact erf form; the tanh approximations would differ by up to 1e-3.
            guard name == "gelu" else { throw unsupported(key, "activation '\(name)' (only \"gelu\" is implemented)") }
        }
        if let value = keys["feat_extract_norm"] {
            guard let name = value.stringValue, let norm = FeatureEncoderNorm(rawValue: name) else {
                throw invalid("feat_extract_norm", "expected \"group\" or \"layer\"")
            }
            featureEncoderNorm = norm
        }
        convolutionChannels = try positiveInts("conv_dim", convolutionChannels)
        convolutionKernels = try positiveInts("conv_kernel", convolutionKernels)
        convolutionStrides = try positiveInts("conv_stride", convolutionStrides)
        guard convolutionKernels.count == convolutionChannels.count,
            convolutionStrides.count == convolutionChannels.count
        else {
            throw invalid(
                "conv_dim",
                "conv_dim, conv_kernel and conv_stride have \(convolutionChannels.count), "
                    + "\(convolutionKernels.count) and \(convolutionStrides.count) entries")
        }
        if let layers = keys["num_feat_extract_layers"], layers.intValue != convolutionChannels.count {
            throw invalid(
                "num_feat_extract_layers", "does not match the \(convolutionChannels.count) entries of conv_dim")
        }
        convolutionBias = try flag("conv_bias", convolutionBias)
        positionalKernel = try positiveInt("num_conv_pos_embeddings", positionalKernel)
        positionalGroups = try positiveInt("num_conv_pos_embedding_groups", positionalGroups)
        stableLayerNorm = try flag("do_stable_layer_norm", stableLayerNorm)
        if try flag("add_adapter", false) { throw unsupported("add_adapter", "adapter layers are not implemented") }
        if let adapter = keys["adapter_attn_dim"], adapter != .null {
            throw unsupported("adapter_attn_dim", "attention adapters are not implemented")
        }
        guard hiddenSize % attentionHeadCount == 0 else {
            throw invalid("num_attention_heads", "\(attentionHeadCount) does not divide hidden_size \(hiddenSize)")
        }
        guard hiddenSize % positionalGroups == 0 else {
            throw invalid(
                "num_conv_pos_embedding_groups", "\(positionalGroups) does not divide hidden_size \(hiddenSize)")
        }
    }
}

/// The feature extractor settings of `preprocessor_config.json` (wav2vec2.md §3).
public struct Wav2Vec2Preprocessing: Sendable, Equatable {
    /// Whether each input is normalised to zero mean and unit variance (`do_normalize`).
    public var normalize = true
    /// The rate the model expects, in hertz (`sampling_rate`); input is resampled to it.
    public var sampleRate = 16000

    /// The settings of the published wav2vec2 checkpoints: normalise, 16 kHz.
    public init(normalize: Bool = true, sampleRate: Int = 16000) {
        self.normalize = normalize
        self.sampleRate = sampleRate
    }

    /// Variance floor of the normalisation (`Wav2Vec2FeatureExtractor`).
    public static let varianceEpsilon: Double = 1e-7

    /// `audio` as the model sees it: `(x − mean)/sqrt(var + 1e-7)` with the population variance when
    /// `normalize` is set (all-zero input stays zero), else unchanged.
    public func normalized(_ audio: [Float]) -> [Float] {
        var result = [Float](repeating: 0, count: audio.count)
        audio.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                if let base = target.baseAddress { prepare(source, into: base) }
            }
        }
        return result
    }

    /// Writes the prepared `audio` to `target` (room for `audio.count` values).
    func prepare(_ audio: UnsafeBufferPointer<Float>, into target: UnsafeMutablePointer<Float>) {
        guard let source = audio.baseAddress, !audio.isEmpty else { return }
        guard normalize else {
            target.update(from: source, count: audio.count)
            return
        }
        let (mean, variance) = meanAndVariance(source, count: audio.count)
        let shift = Float(mean)
        let deviation = Float((variance + Self.varianceEpsilon).squareRoot())
        for i in 0..<audio.count { target[i] = (source[i] - shift) / deviation }
    }

    /// Reads a `preprocessor_config.json` document; `file` names it in errors.
    public init(json: JSONValue, file: String) throws {
        guard let keys = json.objectValue else {
            throw NeuralFeaturesError.invalidConfiguration(file: file, key: "(document)", reason: "not a JSON object")
        }
        if let value = keys["do_normalize"] {
            guard let flag = value.boolValue else {
                throw NeuralFeaturesError.invalidConfiguration(
                    file: file, key: "do_normalize", reason: "expected true or false")
            }
            normalize = flag
        }
        if let value = keys["sampling_rate"] {
            guard let rate = value.intValue, rate >= 1000, rate <= 384_000 else {
                throw NeuralFeaturesError.invalidConfiguration(
                    file: file, key: "sampling_rate", reason: "expected a rate in hertz")
            }
            sampleRate = rate
        }
        if let value = keys["feature_size"], value.intValue != 1 {
            throw NeuralFeaturesError.unsupportedConfiguration(
                file: file, key: "feature_size", reason: "only mono input (1) is supported")
        }
    }
}
