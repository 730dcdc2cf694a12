import AudioFeatures
import AudioFileAdapter
import FFTWAdapter
import Foundation
import Logging
public import ModelFormat
import MusicHalCore
import OracleCore
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

/// Trains a model from recordings and stores it: what `musichal train` and `musichal demo` run.
public struct TrainingRunner {
    /// Recordings to learn from.
    public var files: [String]
    /// How the oracle threshold is chosen.
    public var threshold: ThresholdChoice
    /// Rate of the analysis clock.
    public var analysisSampleRate: Double

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
                let totalFrames = Double(reader.frameCount) * analysisSampleRate / reader.sampleRate
                var lastReport = -1.0
                while let block = try source.nextBlock(maxFrames: 8192) {
                    if isCancelled() { throw CancellationError() }
                    try trainer.feed(block)
                    let fraction = min(1, Double(block.endFrame) / max(1, totalFrames))
                    if fraction - lastReport >= 0.01 {
                        lastReport = fraction
                        progress(
                            TrainingProgress(
                                fileIndex: index, fileCount: files.count, fileName: name, fraction: fraction))
                    }
                }
                try trainer.endSource()
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
        logger.debug("building the oracle", metadata: ["threshold": "\(threshold)"])
        do {
            return try trainer.finish(
                musicHalVersion: MusicHalVersion.version,
                createdAt: ISO8601DateFormatter().string(from: Date()))
        } catch {
            throw TrainingFailure(description: error.description)
        }
    }
}

/// Content identifiers for source recordings.
enum ContentHash {
    /// FNV-1a 64-bit digest of a file's bytes, as `fnv1a64:<16 hex digits>`; identifies a recording, not a
    /// security measure.
    static func ofFile(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TrainingFailure(description: "\(path): cannot be read")
        }
        defer { try? handle.close() }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            for byte in chunk {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
        }
        let digits = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
