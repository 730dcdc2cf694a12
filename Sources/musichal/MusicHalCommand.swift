import ArgumentParser
import Foundation
import MusicHalApp

/// `musichal`: one executable, one subcommand per job.
@main
struct MusicHalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "musichal",
        abstract: "MusicHal: a real-time improvising musical partner.",
        version: MusicHalVersion.version,
        subcommands: [
            RunCommand.self, CtlCommand.self, DemoCommand.self, TrainCommand.self, PerformCommand.self,
            AnalyzeCommand.self, InspectCommand.self, OracleCommand.self, EmbedCommand.self,
            CompareCommand.self,
        ]
    )
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (YAML); see Config/musichal.yaml.")
    var config: String?

    @Flag(name: .long, help: "Log more detail to standard error.")
    var verbose = false

    /// Sets up logging and loads the configuration (defaults when no file is given).
    func prepare() throws -> MusicHalConfiguration {
        LoggingSetup.bootstrap(verbose: verbose)
        guard let path = config else { return MusicHalConfiguration() }
        return try CommandFailure.wrap { try ConfigurationLoader.load(path: path) }
    }
}

/// An error shown as one line, `musichal: error: ...`, with exit status 1.
struct CommandFailure: Error {
    let message: String

    /// Runs `body`, turning any error into one clear line on standard error and exit status 1.
    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as CleanExit {
            throw error
        } catch {
            report("\(error)")
            throw ExitCode.failure
        }
    }

    static func report(_ message: String) {
        FileHandle.standardError.write(Data("musichal: error: \(message)\n".utf8))
    }
}

/// Writes a line to standard output immediately (progress must show while the program runs).
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
