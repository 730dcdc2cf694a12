public import Improviser
import OSCAdapter

/// The OSC client behind `musichal ctl`, kept in the composition module so the executable needs no adapter.
public final class OSCControlClient {
    private let client: OSCClient

    /// A client for the daemon at `host:port`.
    public init(host: String, port: Int) throws { client = try OSCClient(host: host, port: port) }

    /// Sends one message.
    public func send(_ message: ControlMessage) throws { try client.send(message) }

    /// Sends messages as one bundle.
    public func sendBundle(_ messages: [ControlMessage]) throws { try client.sendBundle(messages) }

    /// Replies received within `timeout` seconds.
    public func receive(timeout: Double) -> [ControlMessage] { client.receive(timeout: timeout) }
}
