import ArgumentParser
import Foundation
import ModelFormat
import MusicHalApp
import OracleCore
import Training

/// `musichal train FILE... -o NAME|PATH`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Learn a model from recordings (any format libsndfile reads).",
        discussion: """
            A bare NAME is stored in the models directory as NAME.halmodel; anything containing a slash is \
            written at exactly that path. The file appears only when training has finished.

            With --neural MODEL_DIR every event is also heard by a wav2vec 2.0 checkpoint (a Hugging Face \
            directory: config.json, preprocessor_config.json, model.safetensors); the embeddings are quantized \
            into a vocabulary of tokens (L2-normalise, PCA to at most 128 dimensions, k-means), stored in the \
            model and applied live when the daemon runs the same checkpoint.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Recordings to learn from.")
    var files: [String]

    @Option(name: [.short, .long], help: "Model name (into the models directory) or path (containing a slash).")
    var output: String

    @Option(name: .long, help: "Oracle distance threshold, or 'auto' to choose it by information rate.")
    var threshold: String = "auto"

    @Option(name: .long, help: "Models directory.")
    var modelsDir: String?

    @Option(name: .long, help: "wav2vec 2.0 checkpoint directory: also learn a vocabulary of neural tokens.")
    var neural: String?

    @Option(name: .long, help: "With --neural: hidden_states index to pool (default: last_hidden_state).")
    var layer: Int?

    @Option(name: .long, help: "With --neural: tokens in the vocabulary.")
    var vocabulary: Int = 64

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one recording") }
        if threshold != "auto" {
            guard let value = Double(threshold), value.isFinite, value >= 0 else {
                throw ValidationError("--threshold must be 'auto' or a number >= 0, got '\(threshold)'")
            }
        }
        if neural == nil && (layer != nil || vocabulary != 64) {
            throw ValidationError("--layer and --vocabulary need --neural MODEL_DIR")
        }
        guard (2...4096).contains(vocabulary) else { throw ValidationError("--vocabulary must be 2...4096") }
        if let layer, layer < 0 { throw ValidationError("--layer must be >= 0") }
    }

    func run() throws {
        let configuration = try global.prepare()
        let choice: ThresholdChoice = threshold == "auto" ? .automatic(.musicHalDefault) : .fixed(Double(threshold)!)
        let paths = ResolvedPaths(modelsFlag: modelsDir, configuration: configuration.paths)
        let destination: String = try CommandFailure.wrap {
            output.contains("/") ? output : try ModelDirectory(path: paths.models).filePath(forModel: output)
        }
        let cancellation = CancellationFlag.installed()
        let started = Date()
        let progress = ProgressDisplay()
        var runner = TrainingRunner(
            files: files, threshold: choice, analysisSampleRate: configuration.audio.sampleRate)
        if let neural {
            var options = NeuralTrainingOptions(checkpoint: neural, layer: layer)
            options.vocabularySize = vocabulary
            runner.neural = options
        }
        let trained: TrainedModel
        do {
            let (model, summary) = try runner.train(progress: progress.update, isCancelled: { cancellation.isSet })
            trained = TrainedModel(model: model, summary: summary)
        } catch is CancellationError {
            progress.end()
            CommandFailure.report("training interrupted; no model was written")
            throw ExitCode(130)
        } catch {
            progress.end()
            CommandFailure.report("\(error)")
            throw ExitCode.failure
        }
        progress.end()
        try CommandFailure.wrap { try ModelFileIO.write(trained.model, to: destination) }
        let s = trained.summary
        let wall = Date().timeIntervalSince(started)
        printLine(
            "Trained \(destination): \(s.events) events, \(s.states) states, \(s.symbols) symbols, max LRS \(s.maxLRS), "
                + "threshold \(String(format: "%.3f", s.threshold))\(configurationNote(choice)), "
                + "\(String(format: "%.1f", s.audioSeconds)) s of audio in \(String(format: "%.2f", wall)) s "
                + "(\(String(format: "%.0f", s.audioSeconds / max(wall, 1e-6)))x real time)"
                + (s.neuralTokens.map { ", \($0.used) of \($0.size) neural tokens used" } ?? ""))
    }

    private func configurationNote(_ choice: ThresholdChoice) -> String {
        if case .automatic = choice { return " (auto, by information rate)" }
        return ""
    }
}

/// A model and what training it took.
private struct TrainedModel {
    let model: MusicHalModel
    let summary: TrainingSummary
}
