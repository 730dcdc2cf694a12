import AudioFeatures
import AudioFileAdapter
import FFTWAdapter
import Foundation
import Logging
public import ModelFormat
import MusicHalCore
import NeuralFeatures
import OracleCore
import RealtimeSupport
import SampleRateAdapter
public import Training

private let logger = Logger(label: "musichal.train")

/// A training failure that names the recording or file involved.
public struct TrainingFailure: Error, CustomStringConvertible {
    /// What went wrong, naming the file.
    public let description: String
}

/// Progress of a training run, reported while recordings are analysed.
public struct TrainingProgress: Sendable {
    /// Index of the recording being analysed (0-based).
    public var fileIndex: Int
    /// Number of recordings.
    public var fileCount: Int
    /// Name of the recording.
    public var fileName: String
    /// Fraction of that recording analysed, 0...1.
    public var fraction: Double
}

/// How `musichal train --neural` encodes events and builds the vocabulary.
public struct NeuralTrainingOptions: Sendable {
    /// The wav2vec 2.0 checkpoint directory.
    public var checkpoint: String
    /// `hidden_states` index to pool, or nil for `last_hidden_state`.
    public var layer: Int?
    /// Tokens in the vocabulary (k of k-means).
    public var vocabularySize = 64
    /// Seed of the k-means initialisation.
    public var seed: UInt64 = 1
    /// OpenBLAS threads for the encoder.
    public var threads = 2

    /// Options for `checkpoint`, pooling `layer`.
    public init(checkpoint: String, layer: Int? = nil) {
        self.checkpoint = checkpoint
        self.layer = layer
    }
}

/// Trains a model from recordings and stores it: what `musichal train` and `musichal demo` run.
public struct TrainingRunner {
    /// Recordings to learn from.
    public var files: [String]
    /// How the oracle threshold is chosen.
    public var threshold: ThresholdChoice
    /// Rate of the analysis clock.
    public var analysisSampleRate: Double
    /// Neural tokens, when asked for.
    public var neural: NeuralTrainingOptions?

    /// Creates a runner.
    public init(files: [String], threshold: ThresholdChoice, analysisSampleRate: Double) {
        self.files = files
        self.threshold = threshold
        self.analysisSampleRate = analysisSampleRate
    }

    /// Analyses every recording and builds the model. `isCancelled` is polled between blocks; a cancelled run
    /// throws `CancellationError` and writes nothing.
    public func train(
        progress: (TrainingProgress) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> (model: MusicHalModel, summary: TrainingSummary) {
        guard !files.isEmpty else { throw TrainingFailure(description: "no recordings given") }
        let trainer = ModelTrainer(
            analysisSampleRate: analysisSampleRate, threshold: threshold, fftProvider: FFTWProvider())
        var neuralPass: NeuralTrainingPass?
        if let neural {
            do {
                neuralPass = try NeuralTrainingPass(options: neural, analysisSampleRate: analysisSampleRate)
            } catch {
                throw TrainingFailure(description: "--neural \(neural.checkpoint): \(error)")
            }
        }
        for (index, file) in files.enumerated() {
            let name = URL(fileURLWithPath: file).lastPathComponent
            do {
                let reader = try SoundFileReader(path: file)
                logger.info(
                    "analysing recording",
                    metadata: [
                        "file": "\(file)", "format": "\(reader.formatName)", "rate": "\(reader.sampleRate)",
                        "channels": "\(reader.channelCount)",
                        "seconds": "\(String(format: "%.1f", reader.durationSeconds))",
                    ])
                let hash = try ContentHash.ofFile(file)
                let source = try ResampledAudioSource(
                    source: reader, targetRate: analysisSampleRate, factory: LibsamplerateConverterFactory())
                try trainer.beginSource(name: name, contentHash: hash)
                neuralPass?.beginSource()
                let totalFrames = Double(reader.frameCount) * analysisSampleRate / reader.sampleRate
                var lastReport = -1.0
                while let block = try source.nextBlock(maxFrames: 8192) {
                    if isCancelled() { throw CancellationError() }
                    neuralPass?.history.append(block)
                    let completed = try trainer.feed(block)
                    try neuralPass?.encode(completed, timelineOffset: trainer.sourceTimelineOffset)
                    let fraction = min(1, Double(block.endFrame) / max(1, totalFrames))
                    if fraction - lastReport >= 0.01 {
                        lastReport = fraction
                        progress(
                            TrainingProgress(
                                fileIndex: index, fileCount: files.count, fileName: name, fraction: fraction))
                    }
                }
                let offset = trainer.sourceTimelineOffset
                let last = try trainer.endSource()
                try neuralPass?.encode(last[...], timelineOffset: offset)
                progress(TrainingProgress(fileIndex: index, fileCount: files.count, fileName: name, fraction: 1))
            } catch let error as CancellationError {
                throw error
            } catch let error as AudioFileError {
                throw TrainingFailure(
                    description: files.count > 1 ? "recording \(index + 1) of \(files.count): \(error)" : "\(error)")
            } catch {
                throw TrainingFailure(description: "\(file): \(error)")
            }
        }
        var vocabulary: NeuralVocabulary?
        if let neuralPass {
            do {
                vocabulary = try neuralPass.vocabulary()
            } catch {
                throw TrainingFailure(description: "neural vocabulary: \(error)")
            }
        }
        logger.debug("building the oracle", metadata: ["threshold": "\(threshold)"])
        do {
            return try trainer.finish(
                musicHalVersion: MusicHalVersion.version,
                createdAt: ISO8601DateFormatter().string(from: Date()), vocabulary: vocabulary)
        } catch {
            throw TrainingFailure(description: error.description)
        }
    }
}

/// The neural side of training: keeps the recent audio, embeds each event as it completes (the same way the
/// live encoder does), and at the end fits the quantizer and tokenises every event.
struct NeuralTrainingPass {
    let options: NeuralTrainingOptions
    let encoder: NeuralEventEncoder
    let identity: NeuralEncoderIdentity
    let analysisSampleRate: Double
    var history: SampleHistory
    private(set) var embeddings: [[Float]] = []

    init(options: NeuralTrainingOptions, analysisSampleRate: Double) throws {
        guard (1...4096).contains(options.vocabularySize) else {
            throw NeuralFeaturesError.invalidArgument("the vocabulary size must be 1...4096")
        }
        self.options = options
        self.analysisSampleRate = analysisSampleRate
        encoder = try NeuralEventEncoder(directory: options.checkpoint, threads: options.threads)
        identity = try encoder.identity(layer: options.layer)
        // An event completes at most its maximum length (8 s) plus the detection delay after its onset.
        history = SampleHistory(capacity: Int(10 * analysisSampleRate))
    }

    mutating func beginSource() {
        history = SampleHistory(capacity: history.capacity)
    }

    /// Embeds `events` (corpus-timeline frames; the recording's own frames are those minus `timelineOffset`).
    mutating func encode(_ events: ArraySlice<MusicalEvent>, timelineOffset: FrameTime) throws {
        for event in events {
            let onset = event.onsetFrame - timelineOffset
            let length = encoder.window.eventFrames(
                durationFrames: Int(event.durationFrames), rate: analysisSampleRate)
            // The last event of a file may end after the last sample: take what exists.
            let available = Int(min(FrameTime(length), history.endFrame > onset ? history.endFrame - onset : 0))
            let samples = history.samples(from: onset, length: available) ?? []
            embeddings.append(
                try encoder.embed(
                    eventSamples: samples.isEmpty ? [0] : samples, rate: analysisSampleRate, layer: options.layer))
        }
    }

    func vocabulary() throws -> NeuralVocabulary {
        let quantizer = try SymbolicQuantizer.fit(
            vectors: embeddings,
            settings: SymbolicQuantizer.Settings(clusterCount: options.vocabularySize, seed: options.seed))
        return NeuralVocabulary(
            encoder: identity, window: encoder.window, quantizer: quantizer.parameters,
            tokens: embeddings.map { quantizer.token(for: $0) })
    }
}

/// Content identifiers for source recordings.
enum ContentHash {
    /// FNV-1a 64-bit digest of a file's bytes, as `fnv1a64:<16 hex digits>`; identifies a recording, not a
    /// security measure.
    static func ofFile(_ path: String) throws -> String { try ofFiles([path]) }

    /// One digest over the concatenated bytes of `paths`, in order.
    static func ofFiles(_ paths: [String]) throws -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for path in paths {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw TrainingFailure(description: "\(path): cannot be read")
            }
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                for byte in chunk {
                    hash ^= UInt64(byte)
                    hash &*= 0x0000_0100_0000_01B3
                }
            }
        }
        let digits = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
