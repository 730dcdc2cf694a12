/// Everything that can go wrong connecting MusicHal to a JACK server. `description` is what logs and OSC
/// `/fail` replies show: one line that names the server, client, port or pattern concerned.
public enum JACKError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No client could be opened on the server (it is not running, or refused the client).
    case serverUnavailable(server: String, reason: String)
    /// The server refused to register one of the client's ports.
    case portRegistrationFailed(port: String)
    /// A callback could not be installed or the client could not be activated.
    case activationFailed(client: String, reason: String)
    /// A connection pattern is not a valid regular expression.
    case invalidPortPattern(pattern: String, reason: String)
    /// A client or port name is empty, too long, duplicated or contains a colon.
    case invalidConfiguration(String)

    /// A human-readable explanation naming what failed.
    public var description: String {
        switch self {
        case .serverUnavailable(let server, let reason):
            "cannot connect to JACK server '\(server)': \(reason)"
        case .portRegistrationFailed(let port):
            "JACK server refused to register port '\(port)'"
        case .activationFailed(let client, let reason):
            "cannot activate JACK client '\(client)': \(reason)"
        case .invalidPortPattern(let pattern, let reason):
            "JACK connection pattern '\(pattern)' is not a valid regular expression: \(reason)"
        case .invalidConfiguration(let message):
            "invalid JACK configuration: \(message)"
        }
    }
}
