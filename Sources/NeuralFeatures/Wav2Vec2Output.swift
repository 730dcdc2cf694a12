/// Intermediate results an encoder run can return besides the last hidden state (wav2vec2.md §13 names).
public struct Wav2Vec2Stages: OptionSet, Sendable, Hashable {
    /// Raw value.
    public let rawValue: Int

    /// Creates a set from its raw value.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Output of the convolutional feature encoder, `[T, C]`, before any LayerNorm.
    public static let convFeatures = Wav2Vec2Stages(rawValue: 1 << 0)
    /// `feature_projection.layer_norm` output, `[T, C]` (transformers' `extract_features`).
    public static let extractFeatures = Wav2Vec2Stages(rawValue: 1 << 1)
    /// The projected features, `[T, H]` (input of the positional embedding).
    public static let featureProjection = Wav2Vec2Stages(rawValue: 1 << 2)
    /// The positional convolution's output after GELU and the frame drop, `[T, H]`.
    public static let positionalEmbedding = Wav2Vec2Stages(rawValue: 1 << 3)
}

/// What an encoder run should return.
public struct Wav2Vec2Request: Sendable, Equatable {
    /// Intermediate stages to copy out.
    public var stages: Wav2Vec2Stages
    /// Indices into transformers' `hidden_states` tuple to copy out: 0 is the input of the first transformer
    /// layer (after the positional embedding; LayerNorm-ed in the post-LN family), `i` the output of layer `i`.
    public var hiddenStateLayers: [Int]

    /// Only the last hidden state unless told otherwise.
    public init(stages: Wav2Vec2Stages = [], hiddenStateLayers: [Int] = []) {
        self.stages = stages
        self.hiddenStateLayers = hiddenStateLayers
    }
}

/// The result of one encoder run; every matrix is row-major `[frames, width]`.
public struct Wav2Vec2Output: Sendable, Equatable {
    /// Encoder frames T (50 per second at 16 kHz).
    public var frameCount: Int
    /// Transformer width H.
    public var hiddenSize: Int
    /// `last_hidden_state`, `[T, H]`.
    public var lastHiddenState: [Float]
    /// Requested `hidden_states` entries by index, each `[T, H]`.
    public var hiddenStates: [Int: [Float]]
    /// Requested intermediates (`convFeatures`, `extractFeatures` are `[T, C]`, the others `[T, H]`).
    public var stages: [Wav2Vec2StageKey: [Float]]

    /// Creates an output.
    public init(
        frameCount: Int, hiddenSize: Int, lastHiddenState: [Float], hiddenStates: [Int: [Float]] = [:],
        stages: [Wav2Vec2StageKey: [Float]] = [:]
    ) {
        self.frameCount = frameCount
        self.hiddenSize = hiddenSize
        self.lastHiddenState = lastHiddenState
        self.hiddenStates = hiddenStates
        self.stages = stages
    }

    /// The unweighted mean of `lastHiddenState` over all frames, `[H]`.
    public var pooledMean: [Float] {
        FramePooling.mean(lastHiddenState, frameCount: frameCount, width: hiddenSize, frames: 0..<frameCount)
    }
}

/// Names of the single intermediate stages in `Wav2Vec2Output.stages`.
public enum Wav2Vec2StageKey: Sendable, Hashable, CaseIterable {
    /// See `Wav2Vec2Stages.convFeatures`.
    case convFeatures
    /// See `Wav2Vec2Stages.extractFeatures`.
    case extractFeatures
    /// See `Wav2Vec2Stages.featureProjection`.
    case featureProjection
    /// See `Wav2Vec2Stages.positionalEmbedding`.
    case positionalEmbedding

    var option: Wav2Vec2Stages {
        switch self {
        case .convFeatures: return .convFeatures
        case .extractFeatures: return .extractFeatures
        case .featureProjection: return .featureProjection
        case .positionalEmbedding: return .positionalEmbedding
        }
    }
}
