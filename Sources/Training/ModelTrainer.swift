public import AudioFeatures
public import ModelFormat
public import MusicHalCore
public import OracleCore

/// How the oracle's distance threshold is chosen.
public enum ThresholdChoice: Sendable, Equatable {
    /// A fixed Euclidean threshold.
    case fixed(Double)
    /// The threshold with the highest information rate over a grid (vmo's `find_threshold`).
    case automatic(ThresholdGrid)
}

/// Errors of training.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// No event was heard in any recording.
    case noEvents
    /// A block arrived at another sample rate than the analysis rate.
    case sampleRateMismatch(expected: Double, found: Double)
    /// Feeding audio outside `beginSource`/`endSource`.
    case noSourceOpen
    /// The oracle rejected the features or the threshold.
    case oracle(String)
    /// The model could not be assembled.
    case model(String)

    /// One-line description.
    public var description: String {
        switch self {
        case .noEvents: return "no musical events were detected in the recordings (silence or unpitched noise?)"
        case .sampleRateMismatch(let expected, let found):
            return "audio at \(found) Hz reached the trainer, which analyses at \(expected) Hz"
        case .noSourceOpen: return "audio fed to the trainer outside a source"
        case .oracle(let reason): return "oracle construction failed: \(reason)"
        case .model(let reason): return "model assembly failed: \(reason)"
        }
    }
}

/// What a training run produced, for the summary line.
public struct TrainingSummary: Sendable, Hashable {
    /// Corpus events.
    public var events: Int
    /// Oracle states (events + 1).
    public var states: Int
    /// Distinct oracle symbols (labels).
    public var symbols: Int
    /// Longest repeated suffix.
    public var maxLRS: Int
    /// Threshold used.
    public var threshold: Double
    /// Information-rate sum at that threshold.
    public var informationRate: Double
    /// Seconds of audio analysed.
    public var audioSeconds: Double
    /// Neural vocabulary size and tokens in use, when trained with an encoder.
    public var neuralTokens: (size: Int, used: Int)? {
        vocabularySize.map { ($0, tokensUsed) }
    }
    var vocabularySize: Int?
    var tokensUsed = 0
}

/// Turns recordings into a model: perception → events → oracle → model, one source at a time.
///
/// Audio is fed in blocks at the analysis rate, so a two-hour recording trains in bounded memory: only the
/// events (a few hundred bytes each) are kept.
public final class ModelTrainer {
    /// Sample rate of the analysis clock.
    public let analysisSampleRate: Double
    /// Threshold choice.
    public let threshold: ThresholdChoice
    private let settings: ListenerSettings
    private let fftProvider: any FFTProvider

    private var listener: StreamingListener?
    private var outputs: [ListenerOutput] = []
    private var events: [MusicalEvent] = []
    private var sources: [ModelSource] = []
    private var sourceName = ""
    private var sourceHash = ""
    private var sourceEventStart = 0
    private var timelineOffset: FrameTime = 0
    private var sourceFrames: FrameTime = 0

    /// Frames analysed so far, over every source.
    public private(set) var framesAnalysed: FrameTime = 0

    /// Creates a trainer.
    public init(
        analysisSampleRate: Double, threshold: ThresholdChoice, settings: ListenerSettings = ListenerSettings(),
        fftProvider: any FFTProvider
    ) {
        self.analysisSampleRate = analysisSampleRate
        self.threshold = threshold
        self.settings = settings
        self.fftProvider = fftProvider
    }

    /// Starts a recording.
    public func beginSource(name: String, contentHash: String) throws {
        listener = try StreamingListener(sampleRate: analysisSampleRate, settings: settings, fftProvider: fftProvider)
        sourceName = name
        sourceHash = contentHash
        sourceEventStart = events.count
        sourceFrames = 0
    }

    /// Where the current recording starts on the corpus timeline: event frames minus this are the recording's
    /// own frames.
    public var sourceTimelineOffset: FrameTime { timelineOffset }

    /// Feeds the next block of the current recording (at the analysis rate); returns the events it completed.
    @discardableResult
    public func feed(_ block: AudioBlock) throws(TrainingError) -> ArraySlice<MusicalEvent> {
        guard let listener else { throw .noSourceOpen }
        guard block.sampleRate == analysisSampleRate else {
            throw .sampleRateMismatch(expected: analysisSampleRate, found: block.sampleRate)
        }
        outputs.removeAll(keepingCapacity: true)
        listener.process(block, into: &outputs)
        let first = events.count
        collect()
        sourceFrames = max(sourceFrames, block.endFrame)
        framesAnalysed += FrameTime(block.frameCount)
        return events[first...]
    }

    /// Ends the current recording; returns the events that completes (the last one).
    @discardableResult
    public func endSource() throws(TrainingError) -> [MusicalEvent] {
        guard let listener else { throw .noSourceOpen }
        outputs.removeAll(keepingCapacity: true)
        listener.finish(into: &outputs)
        let first = events.count
        collect()
        let completed = Array(events[first...])
        sources.append(
            ModelSource(
                name: sourceName, contentHash: sourceHash, durationSeconds: Double(sourceFrames) / analysisSampleRate,
                eventCount: events.count - sourceEventStart))
        // The next recording starts one second after this one on the corpus timeline.
        timelineOffset += sourceFrames + FrameTime(analysisSampleRate)
        self.listener = nil
        return completed
    }

    private func collect() {
        for output in outputs {
            guard case .event(var event) = output else { continue }
            event.onsetFrame += timelineOffset
            event.offsetFrame += timelineOffset
            events.append(event)
        }
    }

    /// The corpus's loudness over its timeline in 32 equal parts (mean event level in dBFS; −120 where nothing
    /// sounds): the shape a learned performance arc follows.
    static func loudnessContour(_ events: [MusicalEvent]) -> [Double] {
        let bins = 32
        guard let end = events.map(\.offsetFrame).max(), end > 0 else { return [] }
        var sums = [Double](repeating: 0, count: bins)
        var counts = [Double](repeating: 0, count: bins)
        for event in events where event.levelDB.isFinite {
            let bin = min(bins - 1, Int(Double(event.onsetFrame) / Double(end) * Double(bins)))
            sums[bin] += event.levelDB
            counts[bin] += 1
        }
        return (0..<bins).map { counts[$0] > 0 ? sums[$0] / counts[$0] : -120 }
    }

    /// Builds the oracle and the model; `vocabulary`, when given, must hold one token per event (in the order
    /// `feed` and `endSource` returned them).
    public func finish(
        musicHalVersion: String, createdAt: String, parameters: [String: String] = [:],
        vocabulary: NeuralVocabulary? = nil
    ) throws(TrainingError) -> (model: MusicHalModel, summary: TrainingSummary) {
        guard !events.isEmpty else { throw .noEvents }
        let frames = events.map { $0.features.values.map(Double.init) }
        let dimension = EventFeatureLayout.dimension
        let chosen: Double
        var automatic = false
        var allParameters = parameters
        switch threshold {
        case .fixed(let value):
            chosen = value
        case .automatic(let grid):
            do {
                chosen = try findThreshold(frames: frames, grid: grid).threshold
            } catch {
                throw .oracle(error.description)
            }
            automatic = true
            allParameters["threshold_grid"] = "\(grid.start),\(grid.stop),\(grid.step)"
        }
        let oracle: VariableMarkovOracle
        do {
            var built = try VariableMarkovOracle(dimension: dimension, threshold: chosen)
            try built.append(contentsOf: frames)
            oracle = built
        } catch {
            throw .oracle(error.description)
        }
        allParameters["feature_dimension"] = "\(dimension)"
        allParameters["loudness_contour_db"] = Self.loudnessContour(events).map { String((($0 * 10).rounded()) / 10) }
            .joined(separator: ",")
        allParameters["hop_seconds"] = "\(settings.hopSeconds)"
        allParameters["legato_semitones"] = "\(settings.legatoSemitones)"
        allParameters["offset_drop_db"] = "\(settings.offsetDropDB)"
        allParameters["backtrack_rise_db"] = "\(settings.backtrackRiseDB)"
        allParameters["vouching_rise_db"] = "\(settings.vouchingRiseDB)"
        let metadata = ModelMetadata(
            musicHalVersion: musicHalVersion, createdAt: createdAt, analysisSampleRate: analysisSampleRate,
            featureLayoutVersion: EventFeatureLayout.version, thresholdWasAutomatic: automatic, sources: sources,
            parameters: allParameters)
        let model: MusicHalModel
        do {
            model = try MusicHalModel(metadata: metadata, events: events, oracle: oracle, vocabulary: vocabulary)
        } catch {
            throw .model(error.description)
        }
        var summary = TrainingSummary(
            events: events.count, states: oracle.stateCount, symbols: oracle.labelCount, maxLRS: oracle.maxLRS,
            threshold: chosen, informationRate: informationRate(lrs: oracle.lrs).sum,
            audioSeconds: sources.reduce(0) { $0 + $1.durationSeconds })
        if let vocabulary {
            summary.vocabularySize = vocabulary.size
            summary.tokensUsed = vocabulary.usage.filter { $0 > 0 }.count
        }
        return (model, summary)
    }
}
