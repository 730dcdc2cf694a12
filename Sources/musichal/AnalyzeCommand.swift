import ArgumentParser
import Foundation
import MusicHalApp

/// `musichal analyze FILE`: print what the listener hears.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Print one record per musical event heard in a recording.",
        discussion: """
            jsonl records: onset_s, offset_s, midi (fractional; null when unpitched), f0_hz, pitches (MIDI notes \
            sounding together), velocity, rms_db, chroma (12 values, C first), consonance, features (the 22 values \
            the oracle compares; see EventFeatureLayout). The audio is analysed at the configured sample rate.

            With --compare-features MODEL_DIR it prints instead one JSON object comparing the traditional and the \
            wav2vec2 perception of the same events: extraction time and real-time factor, per-dimension variance, \
            sparsity (values at most 0.001 x the path's largest magnitude), and the tokens of a quantizer fitted \
            on each path's own event vectors (k = min(64, events), seed 1): vocabulary used, entropy in bits, \
            histogram.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Recording to analyse (any format libsndfile reads).")
    var file: String

    @Option(name: .long, help: "Output format: jsonl or csv.")
    var format: String = "jsonl"

    @Flag(name: .long, help: .hidden)
    var timing = false

    @Option(
        name: .customLong("compare-features"),
        help: "Compare the traditional and the neural features of this wav2vec2 checkpoint directory (JSON).")
    var compareFeatures: String?

    func validate() throws {
        guard AnalyzeTool.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be jsonl or csv, got '\(format)'")
        }
        if compareFeatures != nil, format != "jsonl" {
            throw ValidationError("--compare-features prints one JSON object; --format does not apply")
        }
    }

    func run() throws {
        let configuration = try global.prepare()
        if let modelDirectory = compareFeatures {
            let json = try CommandFailure.wrap {
                try FeatureComparisonTool.run(
                    path: file, modelDirectory: modelDirectory, sampleRate: configuration.audio.sampleRate)
            }
            printLine(json)
            return
        }
        let result = try CommandFailure.wrap {
            try AnalyzeTool.run(
                path: file, format: AnalyzeTool.Format(rawValue: format)!, sampleRate: configuration.audio.sampleRate,
                warmUpSeconds: timing ? 2 : 0, write: printLine)
        }
        if timing {
            FileHandle.standardError.write(
                Data(
                    ("audio_seconds=\(result.audioSeconds) analysis_seconds=\(result.analysisSeconds) "
                        + "analysis_cpu_seconds=\(result.analysisCPUSeconds)\n").utf8))
        }
    }
}
