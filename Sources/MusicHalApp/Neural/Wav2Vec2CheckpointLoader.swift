import BLASAdapter
import Foundation
import Logging
public import NeuralFeatures

private let logger = Logger(label: "musichal.neural")

/// Loads a Hugging Face-style wav2vec 2.0 checkpoint directory: `config.json`, `preprocessor_config.json` and
/// `model.safetensors` (memory-mapped). Parsing and validation happen in `NeuralFeatures`; this type only
/// reads files.
public enum Wav2Vec2CheckpointLoader: Sendable {
    /// Loads the checkpoint in `directory`. Every error is one line naming the file or tensor.
    public static func load(directory: String) throws -> Wav2Vec2Model {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw NeuralFeaturesError.missingFile(path: directory)
        }
        guard isDirectory.boolValue else {
            throw NeuralFeaturesError.unreadableFile(path: directory, reason: "not a checkpoint directory")
        }
        let base = URL(fileURLWithPath: directory)
        let configPath = base.appendingPathComponent("config.json").path
        let preprocessorPath = base.appendingPathComponent("preprocessor_config.json").path
        let weightsPath = base.appendingPathComponent("model.safetensors").path

        let configuration = try Wav2Vec2Configuration(
            json: JSONValue.parse(readFile(configPath), file: configPath), file: configPath)
        let preprocessing = try Wav2Vec2Preprocessing(
            json: JSONValue.parse(readFile(preprocessorPath), file: preprocessorPath), file: preprocessorPath)
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            if FileManager.default.fileExists(atPath: base.appendingPathComponent("model.safetensors.index.json").path)
            {
                throw NeuralFeaturesError.unreadableFile(
                    path: weightsPath, reason: "sharded checkpoints are not supported; save it as one file")
            }
            if FileManager.default.fileExists(atPath: base.appendingPathComponent("pytorch_model.bin").path) {
                throw NeuralFeaturesError.unreadableFile(
                    path: weightsPath, reason: "only pytorch_model.bin exists; convert it to safetensors once, offline")
            }
            throw NeuralFeaturesError.missingFile(path: weightsPath)
        }
        let archive = try SafetensorsArchive(storage: MappedFile(path: weightsPath), label: weightsPath)
        let model = try Wav2Vec2Model(configuration: configuration, preprocessing: preprocessing, weights: archive)
        logger.info(
            "loaded wav2vec2 checkpoint",
            metadata: [
                "directory": "\(directory)", "parameters": "\(model.parameterCount)",
                "hidden": "\(configuration.hiddenSize)", "layers": "\(configuration.layerCount)",
                "family": "\(configuration.stableLayerNorm ? "pre-LN" : "post-LN")",
            ])
        return model
    }

    /// A whole small file's bytes; a missing file is `missingFile`.
    static func readFile(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw NeuralFeaturesError.missingFile(path: path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NeuralFeaturesError.unreadableFile(path: path, reason: "permission denied or not a file")
        }
        return [UInt8](data)
    }
}

/// The OpenBLAS-backed matrix multiplier with the process-wide thread count set (1 in the daemon: the other
/// core serves audio, and idle OpenBLAS workers busy-wait). Logs the kernel family OpenBLAS chose.
public enum NeuralBackend: Sendable {
    /// An OpenBLAS multiplier spreading large products over `threads` threads (OpenBLAS itself then runs
    /// single-threaded in each).
    public static func matrixMultiplier(threads: Int = 1) -> any MatrixMultiplier {
        let multiplier = OpenBLASMatrixMultiplier(threads: threads)
        logger.info("OpenBLAS ready", metadata: ["core": "\(OpenBLASRuntime.coreName)", "threads": "\(threads)"])
        return multiplier
    }

    /// The kernel family OpenBLAS chose for this CPU (record it with every benchmark).
    public static var openBLASCoreName: String { OpenBLASRuntime.coreName }
}
