import ArgumentParser
import MusicHalApp

/// `musichal embed MODEL_DIR FILE [--layer N] [--all]`: wav2vec 2.0 embeddings of a recording, as JSON.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print the wav2vec 2.0 embedding of a recording as JSON.",
        discussion: """
            MODEL_DIR holds a Hugging Face wav2vec2 checkpoint: config.json, preprocessor_config.json and \
            model.safetensors. The recording (any format libsndfile reads, any rate) is mixed to mono, resampled \
            to the model's rate and normalised as preprocessor_config.json says. Prints \
            {"frames": T, "dim": D, "pooled": [...]}, the mean over time of the chosen hidden state, and with \
            --all also "last_hidden_state": [[...], ...].
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Checkpoint directory.")
    var modelDirectory: String

    @Argument(help: "Recording to embed.")
    var file: String

    @Option(
        name: .long,
        help: "Pool hidden state N instead of the last hidden state (0 = input of the first transformer layer).")
    var layer: Int?

    @Flag(name: .long, help: "Also print last_hidden_state, one row per frame.")
    var all = false

    @Option(name: .long, help: "OpenBLAS threads.")
    var threads: Int = 1

    @Option(name: .long, help: ArgumentHelp("Timed runs, reported as timings_ms (benchmarks).", visibility: .hidden))
    var `repeat`: Int = 0

    @Option(name: .long, help: ArgumentHelp("Untimed runs before the timed ones.", visibility: .hidden))
    var warmup: Int = 0

    func validate() throws {
        if let layer, layer < 0 { throw ValidationError("--layer must be 0 or more, got \(layer)") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64, got \(threads)") }
        guard `repeat` >= 0, warmup >= 0 else { throw ValidationError("--repeat and --warmup must be 0 or more") }
    }

    func run() throws {
        _ = try global.prepare()
        var options = EmbeddingRunner.Options()
        options.layer = layer
        options.includeLastHiddenState = all
        options.threads = threads
        options.warmupRuns = warmup
        options.timedRuns = `repeat`
        let report = try CommandFailure.wrap {
            try EmbeddingRunner.run(modelDirectory: modelDirectory, audioPath: file, options: options)
        }
        let values = report.pooled + (report.lastHiddenState?.flatMap { $0 } ?? [])
        guard values.allSatisfy(\.isFinite) else {
            CommandFailure.report("the encoder produced NaN or infinity for \(file)")
            throw ExitCode.failure
        }
        var json =
            "{\"frames\": \(report.frames), \"dim\": \(report.dimension), \"pooled\": \(jsonArray(report.pooled))"
        if let rows = report.lastHiddenState {
            json += ", \"last_hidden_state\": [" + rows.map(jsonArray).joined(separator: ", ") + "]"
        }
        if !report.timingsMilliseconds.isEmpty {
            json += ", \"timings_ms\": [" + report.timingsMilliseconds.map { "\($0)" }.joined(separator: ", ") + "]"
            json += ", \"openblas_core\": \"\(report.openBLASCore)\", \"threads\": \(threads)"
        }
        printLine(json + "}")
    }
}

/// A JSON array of floats in their shortest round-trip form (`Float.description` is valid JSON for finite values).
private func jsonArray(_ values: [Float]) -> String {
    "[" + values.map(\.description).joined(separator: ", ") + "]"
}
