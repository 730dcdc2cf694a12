import CLiblo
public import Improviser
import Synchronization

/// Errors of the OSC adapter.
public enum OSCAdapterError: Error, CustomStringConvertible, Equatable {
    /// The server could not be created (port taken, bad port).
    case cannotListen(port: Int?, transport: String)
    /// A message could not be built or sent.
    case cannotSend(String)

    /// One-line description.
    public var description: String {
        switch self {
        case .cannotListen(let port, let transport):
            return "cannot listen for OSC on \(transport) port \(port.map(String.init) ?? "(any)") (in use?)"
        case .cannotSend(let reason): return "cannot send OSC: \(reason)"
        }
    }
}

/// Malformed packets liblo rejected, in every server of the process (liblo's error handler has no user data).
private let malformedPackets = Atomic<Int>(0)

/// An OSC server over liblo: each incoming message, or each bundle's messages together, reaches the handler on
/// liblo's thread with the sender's address. The handler returns replies, which go back to the sender from the
/// server's own port (so clients reading their ephemeral socket, and TCP clients, receive them).
public final class OSCServer: @unchecked Sendable {
    // @unchecked: liblo handles are used from liblo's thread (receiving) and from callers of `send` (replies,
    // status), serialised by `sendLock`; bundle collection state is touched only on liblo's thread.

    /// Transport protocol.
    public enum Transport: Sendable { case udp, tcp }

    /// What arrived: one message, or all messages of one bundle (applied together).
    public struct Incoming: Sendable {
        /// The messages, in order.
        public var messages: [ControlMessage]
        /// The sender.
        public var peer: ControlPeer
        /// Whether they came in a bundle.
        public var isBundle: Bool
    }

    /// The port the server listens on.
    public let port: Int
    /// Transport protocol.
    public let transport: Transport

    private let thread: lo_server_thread
    private let server: lo_server
    private let handler: @Sendable (Incoming) -> [ControlMessage]
    private let sendLock = Mutex(())
    private var bundleDepth = 0
    private var bundleMessages: [ControlMessage] = []
    private var bundlePeer: ControlPeer?
    private var bundleSource: lo_address?
    private var started = false

    /// Packets liblo rejected as malformed (bad type tags, truncated, bad bundles), process-wide.
    public static var malformedPacketCount: Int { malformedPackets.load(ordering: .relaxed) }

    /// Creates a server on `port` (nil picks a free one). `handler` runs on liblo's thread and must return quickly.
    public init(
        port: Int?, transport: Transport = .udp, handler: @escaping @Sendable (Incoming) -> [ControlMessage]
    ) throws {
        let protocolNumber = transport == .udp ? LO_UDP : LO_TCP
        let created: lo_server_thread? =
            if let port {
                lo_server_thread_new_with_proto(String(port), protocolNumber, oscErrorHandler)
            } else {
                lo_server_thread_new_with_proto(nil, protocolNumber, oscErrorHandler)
            }
        guard let created, let server = lo_server_thread_get_server(created) else {
            throw OSCAdapterError.cannotListen(port: port, transport: transport == .udp ? "UDP" : "TCP")
        }
        thread = created
        self.server = server
        self.port = Int(lo_server_thread_get_port(created))
        self.transport = transport
        self.handler = handler
        let me = Unmanaged.passUnretained(self).toOpaque()
        lo_server_thread_add_method(created, nil, nil, oscMethodHandler, me)
        lo_server_add_bundle_handlers(server, oscBundleStart, oscBundleEnd, me)
    }

    deinit {
        lo_server_thread_free(thread)  // stops the thread first
    }

    /// Starts receiving.
    public func start() {
        guard !started else { return }
        started = true
        lo_server_thread_start(thread)
    }

    /// Stops receiving (the port stays bound until the server is released).
    public func stop() {
        guard started else { return }
        started = false
        lo_server_thread_stop(thread)
    }

    /// Sends a message to `peer` from the server's port. Returns false if it could not be sent.
    @discardableResult
    public func send(_ message: ControlMessage, to peer: ControlPeer) -> Bool {
        sendLock.withLock { _ in
            guard let address = makeAddress(peer) else { return false }
            defer { lo_address_free(address) }
            return sendMessage(message, to: address)
        }
    }

    /// Sends messages to `peer` as one bundle (timetag "immediately") from the server's port.
    @discardableResult
    public func sendBundle(_ messages: [ControlMessage], to peer: ControlPeer) -> Bool {
        sendLock.withLock { _ in
            guard let address = makeAddress(peer) else { return false }
            defer { lo_address_free(address) }
            guard let bundle = lo_bundle_new(musichal_lo_immediate()) else { return false }
            defer { lo_bundle_free_recursive(bundle) }
            for message in messages {
                guard let built = OSCCoding.makeMessage(message) else { return false }
                lo_bundle_add_message(bundle, message.address, built)
            }
            return lo_send_bundle_from(address, server, bundle) >= 0
        }
    }

    private func makeAddress(_ peer: ControlPeer) -> lo_address? {
        lo_address_new_with_proto(transport == .udp ? LO_UDP : LO_TCP, peer.host, String(peer.port))
    }

    private func sendMessage(_ message: ControlMessage, to address: lo_address) -> Bool {
        guard let built = OSCCoding.makeMessage(message) else { return false }
        defer { lo_message_free(built) }
        return lo_send_message_from(address, server, message.address, built) >= 0
    }

    // MARK: liblo thread

    fileprivate func received(_ message: ControlMessage, source: lo_address?) {
        let peer = OSCCoding.peer(of: source)
        if bundleDepth > 0 {
            bundleMessages.append(message)
            if bundlePeer == nil {
                bundlePeer = peer
                bundleSource = source
            }
            return
        }
        deliver(Incoming(messages: [message], peer: peer, isBundle: false), source: source)
    }

    fileprivate func bundleStarted() {
        if bundleDepth == 0 {
            bundleMessages.removeAll()
            bundlePeer = nil
            bundleSource = nil
        }
        bundleDepth += 1
    }

    fileprivate func bundleEnded() {
        bundleDepth = max(0, bundleDepth - 1)
        guard bundleDepth == 0, !bundleMessages.isEmpty, let peer = bundlePeer else { return }
        let messages = bundleMessages
        bundleMessages.removeAll()
        deliver(Incoming(messages: messages, peer: peer, isBundle: true), source: bundleSource)
    }

    private func deliver(_ incoming: Incoming, source: lo_address?) {
        let replies = handler(incoming)
        guard !replies.isEmpty else { return }
        sendLock.withLock { _ in
            // Reply on the message's own source address: for TCP that is the client's connection.
            if transport == .tcp, let source {
                for reply in replies { _ = sendMessage(reply, to: source) }
            } else if let address = makeAddress(incoming.peer) {
                defer { lo_address_free(address) }
                for reply in replies { _ = sendMessage(reply, to: address) }
            }
        }
    }
}

// MARK: C callbacks (no captures: the server arrives as user data)

private let oscErrorHandler: lo_err_handler = { _, _, _ in
    // The path may hold raw attacker bytes: count, never print it.
    malformedPackets.wrappingAdd(1, ordering: .relaxed)
}

private let oscMethodHandler: lo_method_handler = { path, types, argv, argc, message, userData in
    guard let userData, let path else { return 1 }
    let server = Unmanaged<OSCServer>.fromOpaque(userData).takeUnretainedValue()
    let decoded = OSCCoding.decode(path: path, types: types, argv: argv, argc: argc)
    server.received(decoded, source: message.flatMap { lo_message_get_source($0) })
    return 0
}

private let oscBundleStart: lo_bundle_start_handler = { _, userData in
    guard let userData else { return 0 }
    Unmanaged<OSCServer>.fromOpaque(userData).takeUnretainedValue().bundleStarted()
    return 0
}

private let oscBundleEnd: lo_bundle_end_handler = { userData in
    guard let userData else { return 0 }
    Unmanaged<OSCServer>.fromOpaque(userData).takeUnretainedValue().bundleEnded()
    return 0
}
