import Foundation
import MusicHalCore
import NeuralFeatures

/// `musichal analyze FILE --compare-features MODEL_DIR`: the traditional and the neural perception side by side
/// on the same events, so a musician can see which one tells the events of a piece apart.
///
/// Both paths describe the same events, the listener's onset-anchored events: the traditional path by their
/// 22-value feature vectors, the neural path by `last_hidden_state` mean-pooled over each event's window
/// (`Wav2Vec2Encoder.embedEvents`, as in training and live use). Each path then gets the same treatment:
/// - `extraction_seconds`: wall-clock time of that path's feature extraction — the listener for the traditional
///   path; the encoder's forward passes and pooling for the neural path (model loading is reported apart, and
///   the neural path reuses the listener's events, whose cost is the traditional figure).
/// - `real_time_factor`: extraction seconds per second of audio (below 1 is faster than real time).
/// - `variance`: population variance of each dimension over the events (`per_dimension`) and its mean; these
///   are in each path's own units, so `normalized_total_variance` (`1 − ‖mean unit vector‖²`, in [0, 1]) is the
///   number to compare across paths.
/// - `sparsity`: the fraction of values whose magnitude is at most 0.001 × the largest magnitude on that path
///   (60 dB down); the absolute threshold is reported.
/// - `tokens`: a `SymbolicQuantizer` fitted on that path's own per-event vectors (L2-normalise, PCA, k-means++
///   with seed 1, k = min(64, events)) and applied to them; the histogram, the tokens used, and the entropy in
///   bits against its maximum log2(k).
public enum FeatureComparisonTool {
    /// The relative threshold under which a value counts as zero.
    public static let sparsityThreshold = 0.001
    /// The vocabulary asked for (fewer when there are fewer events).
    public static let vocabulary = 64
    /// Seed of the k-means++ initialisation.
    public static let seed: UInt64 = 1

    /// Runs both paths over `path` and returns the JSON object.
    public static func run(path: String, modelDirectory: String, sampleRate: Double, threads: Int = 1) throws -> String
    {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let encoder = try SegmentedEncoder(directory: modelDirectory, threads: threads)
        let loadSeconds = seconds(clock.now - loadStart)

        let audio = try RegionAudio.read(path: path, sampleRate: sampleRate, region: AudioRegion(), band: (nil, nil))
        let (events, listenerSeconds) = try ListenerPass.events(audio.samples, sampleRate: sampleRate)
        guard !events.isEmpty else {
            throw ToolFailure("the listener heard no events in \(path); there is nothing to compare")
        }
        let traditional = events.map(\.features.values)

        let neuralAudio = try RegionAudio.read(
            path: path, sampleRate: Double(encoder.sampleRate), region: AudioRegion(), band: (nil, nil))
        let windows = events.map { $0.window(sampleRate: sampleRate) }
        let encodeStart = clock.now
        let neural: [[Float]]
        do {
            neural = try encoder.eventEmbeddings(neuralAudio.samples, windows: windows)
        } catch let error as NeuralFeaturesError {
            throw ToolFailure("\(path): \(error)")
        }
        let encodeSeconds = seconds(clock.now - encodeStart)
        guard neural.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw ToolFailure("the encoder produced NaN or infinity for \(path)")
        }

        let audioSeconds = audio.seconds
        let members: [(String, JSONText)] = [
            ("file", .string(path)),
            ("audio_seconds", .number(audioSeconds)),
            ("events", .integer(events.count)),
            ("sample_rate", .number(sampleRate)),
            ("sparsity_relative_threshold", .number(sparsityThreshold)),
            (
                "traditional",
                try summary(
                    traditional, seconds: listenerSeconds, audioSeconds: audioSeconds,
                    extra: [("source", .string("listener event features (EventFeatureLayout)"))])
            ),
            (
                "neural",
                try summary(
                    neural, seconds: encodeSeconds, audioSeconds: audioSeconds,
                    extra: [
                        ("source", .string("wav2vec2 last_hidden_state mean-pooled over each event window")),
                        ("model", .string(modelDirectory)), ("model_sample_rate", .integer(encoder.sampleRate)),
                        ("model_load_seconds", .number(loadSeconds)),
                        ("segment_max_seconds", .number(SegmentedEncoder.maximumSegmentSeconds)),
                        ("threads", .integer(threads)),
                    ])
            ),
        ]
        return JSONText.object(members).rendered
    }

    /// The statistics of one path's per-event vectors.
    static func summary(
        _ vectors: [[Float]], seconds: Double, audioSeconds: Double, extra: [(String, JSONText)]
    ) throws -> JSONText {
        let variances = FeatureStatistics.dimensionVariances(vectors)
        let sparsity = FeatureStatistics.sparsity(vectors, relativeThreshold: sparsityThreshold)
        let tokens = try tokenUsage(vectors)
        return .object(
            extra + [
                ("dimension", .integer(vectors.first?.count ?? 0)),
                ("extraction_seconds", .number(seconds)),
                ("real_time_factor", .number(audioSeconds > 0 ? seconds / audioSeconds : .nan)),
                (
                    "variance",
                    .object([
                        ("mean", .number(variances.reduce(0, +) / Double(max(variances.count, 1)))),
                        ("per_dimension", .numbers(variances)),
                    ])
                ),
                ("normalized_total_variance", .optional(FeatureStatistics.normalizedTotalVariance(vectors))),
                (
                    "sparsity",
                    .object([
                        ("fraction", .number(sparsity.fraction)), ("absolute_threshold", .number(sparsity.threshold)),
                    ])
                ),
                (
                    "tokens",
                    .object([
                        ("vocabulary_requested", .integer(min(vocabulary, vectors.count))),
                        ("vocabulary", .integer(tokens.histogram.count)),
                        ("used", .integer(tokens.used)),
                        ("entropy_bits", .number(tokens.entropyBits)),
                        ("maximum_entropy_bits", .number(log2(Double(max(tokens.histogram.count, 1))))),
                        ("histogram", .array(tokens.histogram.map { .integer($0) })),
                    ])
                ),
            ])
    }

    /// Fits the quantizer on `vectors` (k = min(64, count), seed 1) and counts the tokens it gives them.
    public static func tokenUsage(_ vectors: [[Float]]) throws -> FeatureStatistics.TokenUsage {
        let quantizer = try SymbolicQuantizer.fit(
            vectors: vectors,
            settings: SymbolicQuantizer.Settings(clusterCount: min(vocabulary, vectors.count), seed: seed))
        return FeatureStatistics.TokenUsage(
            tokens: vectors.map { quantizer.token(for: $0) }, vocabulary: quantizer.clusterCount)
    }
}
