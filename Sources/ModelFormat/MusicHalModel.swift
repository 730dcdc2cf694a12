public import MusicHalCore
import NeuralFeatures
public import OracleCore

/// A recording a model was trained from.
public struct ModelSource: Sendable, Hashable {
    /// File name (without directories).
    public var name: String
    /// Hex digest identifying the file's content.
    public var contentHash: String
    /// Duration in seconds.
    public var durationSeconds: Double
    /// Number of corpus events that came from this source (events are stored in source order).
    public var eventCount: Int

    /// Creates a source record.
    public init(name: String, contentHash: String, durationSeconds: Double, eventCount: Int) {
        self.name = name
        self.contentHash = contentHash
        self.durationSeconds = durationSeconds
        self.eventCount = eventCount
    }
}

/// Everything recorded about how a model was made.
public struct ModelMetadata: Sendable, Hashable {
    /// MusicHal version that wrote the model.
    public var musicHalVersion: String
    /// Creation time as an ISO 8601 string (supplied by the caller: the core reads no clock).
    public var createdAt: String
    /// Sample rate of the analysis clock the event frames count.
    public var analysisSampleRate: Double
    /// Version of the feature layout the event features follow.
    public var featureLayoutVersion: Int
    /// Whether the oracle threshold was chosen by information rate.
    public var thresholdWasAutomatic: Bool
    /// Recordings the model was trained from, in order.
    public var sources: [ModelSource]
    /// Further parameters as sorted key/value pairs (listener settings, search grid, ...).
    public var parameters: [String: String]

    /// Creates metadata.
    public init(
        musicHalVersion: String, createdAt: String, analysisSampleRate: Double, featureLayoutVersion: Int,
        thresholdWasAutomatic: Bool, sources: [ModelSource], parameters: [String: String] = [:]
    ) {
        self.musicHalVersion = musicHalVersion
        self.createdAt = createdAt
        self.analysisSampleRate = analysisSampleRate
        self.featureLayoutVersion = featureLayoutVersion
        self.thresholdWasAutomatic = thresholdWasAutomatic
        self.sources = sources
        self.parameters = parameters
    }
}

/// A trained model: the corpus of musical events and the oracle built over their features.
///
/// State `i` of the oracle (i ≥ 1) stands for `events[i - 1]`; the oracle's frames are the events' features.
public struct MusicHalModel: Sendable {
    /// How the model was made.
    public var metadata: ModelMetadata
    /// The corpus, in time order per source.
    public private(set) var events: [MusicalEvent]
    /// The oracle over the events' features.
    public private(set) var oracle: VariableMarkovOracle
    /// Neural tokens of the events, when the model was trained with an encoder (`musichal train --neural`).
    public private(set) var vocabulary: NeuralVocabulary?

    /// Creates a model; the oracle must have exactly one state per event and the events' feature dimension, and
    /// a vocabulary one valid token per event.
    public init(
        metadata: ModelMetadata, events: [MusicalEvent], oracle: VariableMarkovOracle,
        vocabulary: NeuralVocabulary? = nil
    ) throws(ModelFormatError) {
        guard oracle.inputCount == events.count else {
            throw .malformed(
                section: "model", reason: "oracle has \(oracle.inputCount) frames for \(events.count) events")
        }
        if let bad = events.firstIndex(where: { $0.features.count != oracle.dimension }) {
            throw .malformed(
                section: "model",
                reason: "event \(bad) has \(events[bad].features.count) features, the oracle \(oracle.dimension)")
        }
        if let vocabulary {
            guard vocabulary.tokens.count == events.count else {
                throw .malformed(
                    section: "vocabulary",
                    reason: "\(vocabulary.tokens.count) tokens for \(events.count) events")
            }
            guard
                vocabulary.tokens.allSatisfy({ $0 == NeuralVocabulary.noToken || (0..<vocabulary.size).contains($0) })
            else {
                throw .malformed(section: "vocabulary", reason: "a token lies outside 0..<\(vocabulary.size)")
            }
            do {
                _ = try SymbolicQuantizer(parameters: vocabulary.quantizer)
            } catch {
                throw .malformed(section: "vocabulary", reason: "\(error)")
            }
            guard vocabulary.quantizer.inputDimension == vocabulary.encoder.hiddenSize, vocabulary.window.isValid
            else {
                throw .malformed(section: "vocabulary", reason: "the quantizer does not fit the encoder or window")
            }
        }
        self.metadata = metadata
        self.events = events
        self.oracle = oracle
        self.vocabulary = vocabulary
    }

    /// Live learning: appends events to the corpus and the oracle. On error nothing changes.
    public mutating func learn(_ newEvents: [MusicalEvent]) throws(OracleError) {
        var extended = oracle
        try extended.append(contentsOf: newEvents.map { $0.features.values.map(Double.init) })
        oracle = extended
        events.append(contentsOf: newEvents)
        vocabulary?.tokens.append(contentsOf: repeatElement(NeuralVocabulary.noToken, count: newEvents.count))
    }

    /// Sets the neural token of event `index` (a learned event's token arrives after the event).
    /// Ignored without a vocabulary or for an index or token out of range.
    public mutating func setToken(_ token: Int, ofEvent index: Int) {
        guard let size = vocabulary?.size, events.indices.contains(index), (0..<size).contains(token) else { return }
        vocabulary?.tokens[index] = token
    }

    /// Number of distinct oracle labels (symbols).
    public var symbolCount: Int { oracle.labelCount }
}
