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
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Recording to analyse (any format libsndfile reads).")
    var file: String

    @Option(name: .long, help: "Output format: jsonl or csv.")
    var format: String = "jsonl"

    @Flag(name: .long, help: .hidden)
    var timing = false

    func validate() throws {
        guard AnalyzeTool.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be jsonl or csv, got '\(format)'")
        }
    }

    func run() throws {
        let configuration = try global.prepare()
        let result = try CommandFailure.wrap {
            try AnalyzeTool.run(
                path: file, format: AnalyzeTool.Format(rawValue: format)!, sampleRate: configuration.audio.sampleRate,
                write: printLine)
        }
        if timing {
            FileHandle.standardError.write(
                Data("audio_seconds=\(result.audioSeconds) analysis_seconds=\(result.analysisSeconds)\n".utf8))
        }
    }
}
