public import NeuralFeatures

/// Which checkpoint made a model's neural tokens: the live encoder must be the same one.
public struct NeuralEncoderIdentity: Sendable, Hashable {
    /// The checkpoint's directory name (for messages).
    public var name: String
    /// Digest of the checkpoint's config and weights.
    public var digest: String
    /// Width of the hidden states.
    public var hiddenSize: Int
    /// `hidden_states` index pooled, or nil for `last_hidden_state`.
    public var layer: Int?

    /// Creates an identity.
    public init(name: String, digest: String, hiddenSize: Int, layer: Int?) {
        self.name = name
        self.digest = digest
        self.hiddenSize = hiddenSize
        self.layer = layer
    }
}

/// A model's neural vocabulary: how events were encoded, the quantizer that turns embeddings into tokens, and
/// each corpus event's token.
public struct NeuralVocabulary: Sendable, Equatable {
    /// Token of an event that has none (learned live while the encoder was unavailable).
    public static let noToken = -1

    /// The encoder the tokens come from.
    public var encoder: NeuralEncoderIdentity
    /// Which audio of an event was encoded.
    public var window: NeuralEventWindow
    /// Embedding → token.
    public var quantizer: SymbolicQuantizer.Parameters
    /// One token per corpus event (`0..<clusterCount`, or `noToken`).
    public var tokens: [Int]

    /// Creates a vocabulary.
    public init(
        encoder: NeuralEncoderIdentity, window: NeuralEventWindow, quantizer: SymbolicQuantizer.Parameters,
        tokens: [Int]
    ) {
        self.encoder = encoder
        self.window = window
        self.quantizer = quantizer
        self.tokens = tokens
    }

    /// Number of tokens in the vocabulary.
    public var size: Int { quantizer.clusterCount }

    /// How often each token occurs in the corpus, `[size]`.
    public var usage: [Int] {
        var counts = [Int](repeating: 0, count: size)
        for token in tokens where token >= 0 && token < size { counts[token] += 1 }
        return counts
    }
}
