import ArgumentParser
import Foundation
import Improviser
import MusicHalApp

/// `musichal run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the improvising daemon: listen, answer, take OSC control, report to systemd.",
        discussion: """
            Starts without a model if none is given (it then listens and says so). SIGTERM or SIGINT: all notes \
            off and exit; SIGHUP: reload the configuration. Control it with `musichal ctl` or any OSC controller \
            on the configured port (7770 by default, loopback only unless osc.allow says otherwise).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Model to load at start: a name in the models directory.")
    var model: String?

    @Option(name: .long, help: "Mode at start: \(ImproviserMode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mode: String?

    @Option(
        name: .long,
        help: "Shape the next MINUTES as one performance: build-up, main part, ending, fade, then silence.")
    var performanceDuration: Double?

    @Flag(name: .long, help: "With --performance-duration: follow the model's loudness contour from training.")
    var learnedArc = false

    @Option(
        name: .long,
        help: "Setlist file (YAML, see Config/setlist.example.yaml): its first piece is put in place at start.")
    var setlist: String?

    @Option(name: .long, help: "OSC port (0 picks a free one; see --port-file).")
    var oscPort: Int?

    @Option(name: .long, help: "Write the OSC port to this file once listening.")
    var portFile: String?

    func validate() throws {
        if let mode, ImproviserMode(rawValue: mode) == nil {
            throw ValidationError(
                "unknown mode '\(mode)' (use \(ImproviserMode.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let oscPort, !(0...65535).contains(oscPort) { throw ValidationError("--osc-port must be 0-65535") }
        if let performanceDuration, !(performanceDuration > 0 && performanceDuration <= 600) {
            throw ValidationError("--performance-duration must be more than 0 and at most 600 minutes")
        }
        if setlist != nil && model != nil {
            throw ValidationError("--model and --setlist both choose the model: the setlist's pieces name theirs")
        }
        if setlist != nil && performanceDuration != nil {
            throw ValidationError("--performance-duration and --setlist: each piece's duration_minutes sets its arc")
        }
        if learnedArc && performanceDuration == nil {
            throw ValidationError("--learned-arc needs --performance-duration")
        }
    }

    func run() async throws {
        LoggingSetup.bootstrap(verbose: global.verbose)
        var options = DaemonOptions()
        options.configurationPath = global.config
        options.model = model
        options.mode = mode.flatMap(ImproviserMode.init(rawValue:))
        options.oscPort = oscPort
        options.portFile = portFile
        options.performanceMinutes = performanceDuration
        options.learnedArc = learnedArc
        options.setlist = setlist
        do {
            try await Daemon.run(options: options)
        } catch {
            CommandFailure.report("\(error)")
            throw ExitCode.failure
        }
    }
}
