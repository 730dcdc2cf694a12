import ArgumentParser
import Improviser
import MusicHalApp

/// `musichal demo`: the embedded default, needing no sound hardware and no server.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train on the shipped demo recording, then play it through the engine and answer it.",
        discussion: """
            Prints each note the agent plays as it sounds and writes the answer (with the detected input on a \
            second track) to a Standard MIDI File whose path it prints. The model is saved as 'demo' in the \
            models directory.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Stream the recording as fast as possible instead of in real time.")
    var fast = false

    @Option(name: .long, help: "Seed of every random choice (the same seed gives the same answer).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Agent mode: \(ImproviserMode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mode: String = ImproviserMode.imitate.rawValue

    @Option(name: [.short, .long], help: "Where to write the MIDI answer.")
    var output: String?

    @Option(name: .long, help: "Use another recording instead of the shipped minuet.")
    var recording: String?

    @Option(name: .long, help: "Models directory.")
    var modelsDir: String?

    func run() throws {
        let configuration = try global.prepare()
        guard let mode = ImproviserMode(rawValue: mode) else {
            CommandFailure.report(
                "unknown mode '\(mode)' (use \(ImproviserMode.allCases.map(\.rawValue).joined(separator: ", ")))")
            throw ExitCode.failure
        }
        var options = DemoOptions()
        options.fast = fast
        options.seed = seed
        options.mode = mode
        options.outputPath = output
        options.recordingPath = recording
        options.modelsDirectory = modelsDir
        _ = try CommandFailure.wrap {
            try DemoRunner.run(options: options, configuration: configuration, print: { printLine($0) })
        }
    }
}
