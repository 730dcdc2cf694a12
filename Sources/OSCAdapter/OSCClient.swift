import CLiblo
public import Improviser
import Synchronization

/// A small OSC client for `musichal ctl` and tests: sends from its own ephemeral UDP port and collects what
/// comes back to it.
public final class OSCClient: @unchecked Sendable {
    // @unchecked: used from one thread at a time (the caller's); `received` is only touched by liblo callbacks
    // running inside `receive`, on that same thread.
    private let server: lo_server
    private let target: lo_address
    private var received: [ControlMessage] = []

    /// A client talking to `host:port`.
    public init(host: String, port: Int) throws {
        guard let server = lo_server_new_with_proto(nil, LO_UDP, nil) else {
            throw OSCAdapterError.cannotListen(port: nil, transport: "UDP")
        }
        guard let target = lo_address_new_with_proto(LO_UDP, host, String(port)) else {
            lo_server_free(server)
            throw OSCAdapterError.cannotSend("bad address \(host):\(port)")
        }
        self.server = server
        self.target = target
        lo_server_add_method(server, nil, nil, clientHandler, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        lo_address_free(target)
        lo_server_free(server)
    }

    /// The local port replies come back to.
    public var localPort: Int { Int(lo_server_get_port(server)) }

    /// Sends a message.
    public func send(_ message: ControlMessage) throws {
        guard let built = OSCCoding.makeMessage(message) else {
            throw OSCAdapterError.cannotSend("cannot build message")
        }
        defer { lo_message_free(built) }
        guard lo_send_message_from(target, server, message.address, built) >= 0 else {
            throw OSCAdapterError.cannotSend(String(cString: lo_address_errstr(target)))
        }
    }

    /// Sends messages as one bundle.
    public func sendBundle(_ messages: [ControlMessage]) throws {
        guard let bundle = lo_bundle_new(musichal_lo_immediate()) else { throw OSCAdapterError.cannotSend("no bundle") }
        defer { lo_bundle_free_recursive(bundle) }
        for message in messages {
            guard let built = OSCCoding.makeMessage(message) else { throw OSCAdapterError.cannotSend("cannot build") }
            lo_bundle_add_message(bundle, message.address, built)
        }
        guard lo_send_bundle_from(target, server, bundle) >= 0 else { throw OSCAdapterError.cannotSend("send failed") }
    }

    /// Waits up to `timeout` seconds for messages; returns as soon as some arrived and `settle` seconds passed
    /// without more (so a bundle's messages come together).
    public func receive(timeout: Double, settle: Double = 0.05) -> [ControlMessage] {
        received.removeAll()
        var remaining = Int32(timeout * 1000)
        while remaining > 0 {
            let wait = received.isEmpty ? remaining : Int32(settle * 1000)
            let got = lo_server_recv_noblock(server, wait)
            if got == 0 {
                if !received.isEmpty { break }
                remaining -= wait
            }
        }
        return received
    }

    fileprivate func collect(_ message: ControlMessage) { received.append(message) }
}

private let clientHandler: lo_method_handler = { path, types, argv, argc, _, userData in
    guard let userData, let path else { return 1 }
    let client = Unmanaged<OSCClient>.fromOpaque(userData).takeUnretainedValue()
    client.collect(OSCCoding.decode(path: path, types: types, argv: argv, argc: argc))
    return 0
}
