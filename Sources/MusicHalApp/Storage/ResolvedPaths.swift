import Foundation

/// Where MusicHal keeps its files, resolved from flags, configuration and the environment.
///
/// Order: an explicit flag, then the configuration file, then `$STATE_DIRECTORY` (set by systemd's
/// `StateDirectory=`), then `$XDG_DATA_HOME/musichal`, then `~/.local/share/musichal`.
public struct ResolvedPaths: Sendable, Equatable {
    /// State directory.
    public let state: String
    /// Models directory.
    public let models: String
    /// Performance recordings (MIDI files of what was played).
    public var performances: String { state + "/performances" }

    /// Resolves the directories.
    public init(
        modelsFlag: String? = nil, configuration: MusicHalConfiguration.Paths? = nil,
        environment: [String: String]? = nil
    ) {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let configuration = configuration ?? MusicHalConfiguration.Paths()
        let state: String
        if let configured = configuration.state {
            state = configured
        } else if let systemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first {
            state = String(systemd)
        } else if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            state = xdg + "/musichal"
        } else {
            state = (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/musichal"
        }
        self.state = state
        models = modelsFlag ?? configuration.models ?? state + "/models"
    }
}
