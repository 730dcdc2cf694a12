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

    @Option(name: .long, help: "Seed of every random choice (the same seed gives the same answer; default 1).")
    var seed: UInt64?

    @Option(
        name: .long,
        help:
            "Agent mode: \(ImproviserMode.allCases.map(\.rawValue).joined(separator: ", ")) (default: the configuration's)."
    )
    var mode: String?

    @Option(name: [.short, .long], help: "Where to write the MIDI answer.")
    var output: String?

    @Option(name: .long, help: "Use another recording instead of the shipped minuet.")
    var recording: String?

    @Option(name: .long, help: "Models directory.")
    var modelsDir: String?

    func run() throws {
        let configuration = try global.prepare()
        // Flags override the configuration, which overrides the built-in defaults.
        let chosenMode: ImproviserMode
        if let mode {
            guard let parsed = ImproviserMode(rawValue: mode) else {
                let known = ImproviserMode.allCases.map(\.rawValue).joined(separator: ", ")
                CommandFailure.report("unknown mode '\(mode)' (use \(known))")
                throw ExitCode.failure
            }
            chosenMode = parsed
        } else {
            chosenMode = configuration.agent.mode
        }
        var options = DemoOptions()
        options.fast = fast
        options.seed = seed ?? configuration.agent.seed ?? 1
        options.mode = chosenMode
        options.outputPath = output
        options.recordingPath = recording
        options.modelsDirectory = modelsDir
        _ = try CommandFailure.wrap {
            try DemoRunner.run(options: options, configuration: configuration, print: { printLine($0) })
        }
    }
}
