import ArgumentParser
import MusicHalApp

/// `musichal oracle`: build an oracle from JSON and print it in vmo's conventions.
struct OracleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oracle",
        abstract: "Build a Factor Oracle or VMO from JSON and print it as vmo 0.30.5 would.",
        discussion: """
            --frames FILE.json reads {"frames": [[float, ...], ...]} and builds a VMO (Euclidean distance, strict \
            < threshold); --symbols FILE.json reads {"symbols": [int, ...]} and builds a Factor Oracle. Prints \
            {"sfx", "lrs", "trn", "rsfx", "symbols"}; with --threshold auto also "threshold" and "ir".
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "JSON file with \"frames\" (continuous input).")
    var frames: String?

    @Option(name: .long, help: "JSON file with \"symbols\" (symbolic input).")
    var symbols: String?

    @Option(name: .long, help: "Distance threshold, or 'auto' to pick it by information rate.")
    var threshold: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Search grid START STOP STEP for --threshold auto.")
    var grid: [Double] = [0, 4, 0.05]

    @Flag(name: .long, help: .hidden)
    var timing = false

    @Option(name: .customLong("repeat"), help: .hidden)
    var repeats: Int = 1

    func validate() throws {
        guard (frames == nil) != (symbols == nil) else {
            throw ValidationError("give exactly one of --frames FILE or --symbols FILE")
        }
        if frames != nil {
            guard let threshold else { throw ValidationError("--frames needs --threshold VALUE or --threshold auto") }
            if threshold != "auto" {
                guard let value = Double(threshold), value.isFinite, value >= 0 else {
                    throw ValidationError("--threshold must be 'auto' or a number >= 0, got '\(threshold)'")
                }
            }
        }
        guard grid.count == 3 else { throw ValidationError("--grid takes three numbers: START STOP STEP") }
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repeats)") }
    }

    func run() throws {
        _ = try global.prepare()
        let input: OracleTool.Input
        if let symbols {
            input = .symbols(path: symbols)
        } else if threshold == "auto" {
            input = .frames(path: frames!, threshold: .automatic(start: grid[0], stop: grid[1], step: grid[2]))
        } else {
            input = .frames(path: frames!, threshold: .fixed(Double(threshold!)!))
        }
        let text = try CommandFailure.wrap { try OracleTool.run(input, timing: timing, repeats: repeats) }
        printLine(text)
    }
}
