/// One port of MusicHal's JACK client and the ports it connects to automatically.
public struct JACKPortConfiguration: Sendable, Hashable {
    /// Short port name without the client prefix, e.g. `in_1` (the full name is `client:in_1`).
    public var name: String
    /// Regular expressions over full port names (`client:port`). Every port of the opposite direction and the
    /// same type that a pattern matches *completely* is connected: at start, after every reconnect, and whenever
    /// new ports appear on the server. Examples: `system:capture_1`, `system:capture_[12]`, `fluidsynth.*:midi.*`.
    public var connections: [String]

    /// Creates a port description.
    public init(name: String, connections: [String] = []) {
        self.name = name
        self.connections = connections
    }
}

/// How MusicHal's JACK client looks and behaves: its name, server, ports, connections and reconnect backoff.
public struct JACKDeviceConfiguration: Sendable, Hashable {
    /// Client name (JACK renames it, e.g. `musichal-01`, when the name is taken).
    public var clientName: String
    /// Server name; nil or empty selects the default server (`JACK_DEFAULT_SERVER` or `default`).
    public var serverName: String?
    /// Audio inputs; their mono mix (the average) fills the input blocks. May be empty (blocks of silence).
    public var audioInputs: [JACKPortConfiguration]
    /// MIDI outputs: one shared port, or one per voice. `TimedMIDIMessage.port` selects the port; an index
    /// beyond the list goes to the first port.
    public var midiOutputs: [JACKPortConfiguration]
    /// MIDI inputs (a keyboard): what arrives is decoded into the bridge's `midiInput` ring, stamped on the stream
    /// clock. Their connection patterns name MIDI output ports to connect from. Usually none or one.
    public var midiInputs: [JACKPortConfiguration]
    /// First wait before reconnecting after the server went away; doubled after each failed attempt.
    public var reconnectInitialDelay: Duration
    /// Longest wait between reconnect attempts (bounds how late MusicHal notices a returning server).
    public var reconnectMaximumDelay: Duration
    /// When true, `start()` with no server running enters `.reconnecting` instead of throwing.
    public var startWithoutServer: Bool

    /// Creates a configuration; the defaults are one input `in_1` and one MIDI output `midi_out`, unconnected, and
    /// no MIDI input.
    public init(
        clientName: String = "musichal",
        serverName: String? = nil,
        audioInputs: [JACKPortConfiguration] = [JACKPortConfiguration(name: "in_1")],
        midiOutputs: [JACKPortConfiguration] = [JACKPortConfiguration(name: "midi_out")],
        midiInputs: [JACKPortConfiguration] = [],
        reconnectInitialDelay: Duration = .milliseconds(100),
        reconnectMaximumDelay: Duration = .seconds(1),
        startWithoutServer: Bool = false
    ) {
        self.clientName = clientName
        self.serverName = serverName
        self.audioInputs = audioInputs
        self.midiOutputs = midiOutputs
        self.midiInputs = midiInputs
        self.reconnectInitialDelay = reconnectInitialDelay
        self.reconnectMaximumDelay = reconnectMaximumDelay
        self.startWithoutServer = startWithoutServer
    }

    /// The server name as messages show it.
    var serverDisplayName: String {
        guard let serverName, !serverName.isEmpty else { return "default" }
        return serverName
    }

    /// Checks names and compiles every connection pattern; throws the first problem found.
    public func validate() throws(JACKError) {
        // JACK limits client names to 63 bytes and full port names to 255 (jack_client_name_size and
        // jack_port_name_size include the terminating zero).
        guard !clientName.isEmpty, clientName.utf8.count <= 63, !clientName.contains(":") else {
            throw .invalidConfiguration("client name '\(clientName)' must be 1-63 bytes without ':'")
        }
        var seen = Set<String>()
        for port in audioInputs + midiOutputs + midiInputs {
            guard !port.name.isEmpty, !port.name.contains(":"), clientName.utf8.count + 1 + port.name.utf8.count <= 255
            else {
                throw .invalidConfiguration("port name '\(port.name)' must be non-empty, short, and without ':'")
            }
            guard seen.insert(port.name).inserted else {
                throw .invalidConfiguration("port name '\(port.name)' is used twice")
            }
            for pattern in port.connections { _ = try PortPattern(pattern) }
        }
        guard reconnectInitialDelay > .zero, reconnectMaximumDelay >= reconnectInitialDelay else {
            throw .invalidConfiguration("reconnect delays must be positive, the maximum at least the initial one")
        }
    }
}

/// A validated connection pattern: a regular expression that must match a whole JACK port name.
struct PortPattern: Sendable, Hashable {
    let source: String

    init(_ source: String) throws(JACKError) {
        do {
            _ = try Regex(source)
        } catch {
            throw .invalidPortPattern(pattern: source, reason: "\(error)")
        }
        self.source = source
    }

    /// The names this pattern matches completely, in the given order.
    func matches(in names: [String]) -> [String] {
        // Compiled per use: connection passes are rare and Regex is not Sendable.
        guard let regex = try? Regex(source) else { return [] }
        return names.filter { (try? regex.wholeMatch(in: $0)) != nil }
    }
}
