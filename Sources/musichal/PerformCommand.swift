import ArgumentParser
import Foundation
import Improviser
import MusicHalApp

/// `musichal perform MODEL FILE -o OUT.mid`: audition a model and a mode offline.
struct PerformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perform",
        abstract: "Play a recording to the agent as fast as possible and write its answer as a MIDI file.",
        discussion: """
            The same engine as the daemon, fed from a file: the way to audition a model and a mode before a gig. \
            With the same seed the answer is the same, note for note.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Model name (in the models directory) or path.")
    var model: String

    @Argument(help: "Recording to play to the agent.")
    var file: String

    @Option(name: [.short, .long], help: "Where to write the MIDI answer.")
    var output: String

    @Option(name: .long, help: "Agent mode (default: the configuration's).")
    var mode: String?

    @Option(name: .long, help: "Seed of every random choice (default: the configuration's, else 1).")
    var seed: UInt64?

    @Option(name: .customLong("param"), help: "A parameter as NAME=VALUE; repeatable.")
    var parameters: [String] = []

    @Flag(name: .long, help: "Also write the detected input on a second track.")
    var withInput = false

    @Flag(name: .long, help: "Play in real time instead of as fast as possible.")
    var realTime = false

    @Option(name: .long, help: "Models directory.")
    var modelsDir: String?

    @Option(name: .long, help: "Write why each phrase was played, one JSON object per line, to this file.")
    var explain: String?

    func run() throws {
        let configuration = try global.prepare()
        var options = PerformanceOptions(midiPath: output)
        options.mode = try parseMode(mode) ?? configuration.agent.mode
        options.seed = seed ?? configuration.agent.seed ?? 1
        options.parameters = configuration.agent.parameters
        options.paced = realTime
        options.recordInput = withInput
        options.explainPath = explain
        var values: [(name: String, value: Double)] = []
        for assignment in parameters {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1]) else {
                CommandFailure.report("--param takes NAME=VALUE with a number, got '\(assignment)'")
                throw ExitCode.failure
            }
            values.append((parts[0], value))
        }
        try CommandFailure.wrap { try options.parameters.set(values) }
        let paths = ResolvedPaths(modelsFlag: modelsDir, configuration: configuration.paths)
        let report = try CommandFailure.wrap {
            let loaded = try ModelFileIO.read(path: try InspectTool.modelPath(model, modelsDirectory: paths.models))
            return try PerformanceRunner.run(
                model: loaded, recording: file, options: options, configuration: configuration, print: printLine)
        }
        printLine(
            "Heard \(report.eventsHeard) events in \(String(format: "%.1f", report.seconds)) s; answered with "
                + "\(report.phrases) phrases, \(report.notes) notes -> \(output)"
                + (explain.map { "; decisions -> \($0)" } ?? ""))
    }

    private func parseMode(_ text: String?) throws -> ImproviserMode? {
        guard let text else { return nil }
        guard let mode = ImproviserMode(rawValue: text) else {
            CommandFailure.report(
                "unknown mode '\(text)' (use \(ImproviserMode.allCases.map(\.rawValue).joined(separator: ", ")))")
            throw ExitCode.failure
        }
        return mode
    }
}
