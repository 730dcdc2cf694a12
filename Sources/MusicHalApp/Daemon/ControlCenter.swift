import Foundation
import Improviser
import Logging
import MIDICore
import ModelFormat
import Synchronization

/// Everything the control surface can ask, checked against `ControlAddressTable` and turned into replies,
/// engine commands and background work. Runs on liblo's thread (returning immediate replies) and on background
/// tasks (model loads and saves, which answer later).
final class ControlCenter: Sendable {
    /// Failure codes of `/hal/fail`.
    enum FailureCode: Int32 {
        case badArguments = 400
        case notFound = 404
        case conflict = 409
        case internalError = 500
        case backendDown = 503
    }

    /// What the control surface last set: validated here, mirrored by the engine through commands.
    struct DesiredState: Sendable {
        var mode: ImproviserMode
        var parameters: AgentParameters
        var learning: Bool
        var transportRunning = true
        var channels: VoiceChannels
        var mpe: Bool
        var zone: MPEZone
        var modelName: String?
        var snapTargets: [ImproviserMode: SnapTarget] = Improviser.defaultSnapTargets

        var outputMode: MIDIOutputMode { mpe ? .mpe(zone) : .standard(channels: channels) }
    }

    private let commands: CommandQueue
    private let library: ModelLibrary
    private let setlists: SetlistController?
    private let subscriptions: Subscriptions
    private let allowed: Mutex<[AddressRange]>
    private let desired: Mutex<DesiredState>
    private let hooks = Mutex<Hooks?>(nil)
    /// Model loads and saves, one at a time, at most `ModelJobs.capacity` waiting: a flood of requests is refused,
    /// not queued without bound.
    private let modelJobs = ModelJobs(label: "musichal.model-jobs")
    private let pendingEchoes = Mutex<[String: ControlMessage]>([:])
    private let droppedSenders = Atomic<Int>(0)
    private let received = Atomic<Int>(0)
    private let malformedCount = Mutex<Hooks.Count?>(nil)

    /// Where the count of malformed packets comes from (the OSC adapter).
    func countMalformed(with source: @escaping @Sendable () -> Int) {
        malformedCount.withLock { $0 = Hooks.Count(source) }
    }
    private let failures = Atomic<Int>(0)
    private let statusSequence = Atomic<Int32>(0)
    private let usage = Mutex(ProcessUsage())
    private let logger = Logger(label: "musichal.control")
    private let reloadBaseline: Mutex<MusicHalConfiguration?>

    /// Remembers the configuration the daemon started with, to tell on reload what needs a restart.
    func setBaseline(_ configuration: MusicHalConfiguration) { reloadBaseline.withLock { $0 = configuration } }

    /// Applies a reloaded configuration: agent and MIDI settings and the OSC allow-list change live; the rest is
    /// named as needing a restart.
    func applyReloaded(_ fresh: MusicHalConfiguration) -> (live: [String], restart: [String]) {
        var live: [String] = []
        var restart: [String] = []
        let old = reloadBaseline.withLock { $0 } ?? fresh
        if fresh.audio != old.audio { restart.append("audio") }
        if fresh.osc.port != old.osc.port || fresh.osc.transport != old.osc.transport { restart.append("osc.port") }
        if fresh.paths != old.paths { restart.append("paths") }
        if fresh.midi.backend != old.midi.backend || fresh.midi.jackConnectOutputs != old.midi.jackConnectOutputs {
            restart.append("midi.backend")
        }
        if fresh.midi.input != old.midi.input { restart.append("midi.input") }
        allowed.withLock { $0 = fresh.osc.allow.compactMap(AddressRange.init(parsing:)) }
        live.append("osc.allow")
        var batch: [EngineCommand] = []
        desired.withLock { state in
            state.mode = fresh.agent.mode
            state.parameters = fresh.agent.parameters
            state.learning = fresh.agent.learning
            state.snapTargets = fresh.agent.snap
            if let channels = try? VoiceChannels(
                melodyChannelNumber: fresh.midi.melodyChannel, bassChannelNumber: fresh.midi.bassChannel)
            {
                state.channels = channels
            }
            if let zone = try? MPEZone(
                fresh.midi.mpeZone == .lower ? .lower : .upper, memberCount: fresh.midi.mpeMembers,
                memberBendRange: fresh.midi.mpeBendRange)
            {
                state.zone = zone
            }
            let outputChanged = state.mpe != (fresh.midi.mode == .mpe) || fresh.midi != old.midi
            state.mpe = fresh.midi.mode == .mpe
            batch = [
                .setMode(state.mode), .setParameters(state.parameters), .setLearning(state.learning),
                .setSnapTargets(state.snapTargets),
            ]
            if outputChanged { batch.append(.setOutputMode(state.outputMode)) }
        }
        commands.submit(batch)
        live += [
            "agent.mode", "agent.parameters", "agent.learning", "agent.snap", "midi.channels", "midi.mode", "midi.mpe",
        ]
        reloadBaseline.withLock { $0 = fresh }
        return (live, restart)
    }

    init(
        commands: CommandQueue, library: ModelLibrary, subscriptions: Subscriptions, allowed: [AddressRange],
        initial: DesiredState, setlists: SetlistController? = nil
    ) {
        self.commands = commands
        self.library = library
        self.setlists = setlists
        self.subscriptions = subscriptions
        self.allowed = Mutex(allowed)
        desired = Mutex(initial)
        reloadBaseline = Mutex(nil)
    }

    /// Where asynchronous replies and echoes go (the OSC server's send).
    func connect(
        send: @escaping @Sendable (ControlMessage, ControlPeer) -> Void,
        sendBundle: @escaping @Sendable ([ControlMessage], ControlPeer) -> Void,
        status: @escaping @Sendable () -> StatusSnapshot,
        audioDown: @escaping @Sendable () -> Bool,
        modelSnapshot: @escaping @Sendable () -> MusicHalModel?
    ) {
        let connected = Hooks(
            send: send, sendBundle: sendBundle, status: status, audioDown: audioDown, modelSnapshot: modelSnapshot)
        hooks.withLock { $0 = connected }
    }

    /// Messages from senders outside the allow-list, dropped.
    var droppedSenderCount: Int { droppedSenders.load(ordering: .relaxed) }
    /// `/hal/fail` answers sent.
    var failureCount: Int { failures.load(ordering: .relaxed) }

    /// The current desired state.
    var state: DesiredState { desired.withLock { $0 } }

    /// Whether `peer` may control the daemon: loopback always, others when the allow-list says so.
    func isAllowed(_ peer: ControlPeer) -> Bool {
        let loopback = ["127.0.0.0/8", "::1/128"].compactMap { AddressRange(parsing: $0) }
        return (loopback + allowed.withLock { $0 }).contains { $0.contains(peer.host) }
    }

    // MARK: Incoming

    /// Handles one message or one bundle; returns the immediate replies to the sender.
    func handle(_ messages: [ControlMessage], from peer: ControlPeer) -> [ControlMessage] {
        received.wrappingAdd(messages.count, ordering: .relaxed)
        guard isAllowed(peer) else {
            droppedSenders.wrappingAdd(1, ordering: .relaxed)
            return []
        }
        var replies: [ControlMessage] = []
        var batch: [EngineCommand] = []
        var echoes: [ControlMessage] = []
        var invalid = false
        var updated = desired.withLock { $0 }
        for message in messages {
            // Only /hal is ours; surfaces that broadcast everything get no floods back.
            guard
                message.address == ControlAddressTable.root || message.address.hasPrefix(ControlAddressTable.root + "/")
            else { continue }
            guard let entry = ControlAddressTable.entry(message.address) else {
                replies.append(fail(message.address, "unknown address", .notFound))
                invalid = true
                continue
            }
            guard entry.accepts(typeTags: message.typeTags) else {
                let accepted = entry.typeTags.map { $0.isEmpty ? "none" : $0 }.joined(separator: " or ")
                replies.append(
                    fail(message.address, "wrong arguments '\(message.typeTags)' (takes \(accepted))", .badArguments))
                invalid = true
                continue
            }
            switch apply(message, entry: entry, to: &updated, peer: peer) {
            case .reply(let reply):
                replies += reply
            case .change(let commands, let echo):
                batch += commands
                echoes += echo
            case .failure(let reason, let code):
                replies.append(fail(message.address, reason, code))
                invalid = true
            }
        }
        // A bundle applies together or not at all.
        if !invalid, !batch.isEmpty {
            desired.withLock { $0 = updated }
            commands.submit(batch)
        }
        if !invalid {
            // The sender hears the new values at once; subscribers get them coalesced (see takeEchoes).
            replies += echoes
            queueEchoes(echoes)
        }
        return replies
    }

    private enum Outcome {
        case reply([ControlMessage])
        case change([EngineCommand], echo: [ControlMessage])
        case failure(String, FailureCode)
    }

    private func apply(
        _ message: ControlMessage, entry: ControlAddress, to state: inout DesiredState, peer: ControlPeer
    ) -> Outcome {
        let arguments = message.arguments
        let number = arguments.first?.number
        if let range = entry.range, let number, !range.contains(number) {
            return .failure("\(number) is out of range \(range.lowerBound)...\(range.upperBound)", .badArguments)
        }
        switch message.address {
        case "/hal/ping":
            return .reply([ControlMessage(address: "/hal/pong", arguments: arguments)])
        case "/hal/version":
            return .reply([
                ControlMessage(
                    address: "/hal/version",
                    arguments: [
                        .string(MusicHalVersion.name), .string(MusicHalVersion.version), .string(MusicHalVersion.build),
                    ])
            ])
        case "/hal/describe":
            return .reply([
                ControlMessage(address: "/hal/describe", arguments: [.string(ControlAddressTable.describeJSON())])
            ])
        case "/hal/status":
            sendStatus(to: peer)
            return .reply([])
        case "/hal/notify":
            let on = (number ?? 0) != 0
            let interval = arguments.count > 1 ? Int(arguments[1].number ?? 250) : 250
            var target = peer
            if arguments.count > 2, let port = arguments[2].number, port > 0, port < 65536 { target.port = Int(port) }
            guard on else {
                subscriptions.unsubscribe(target)
                return .reply([
                    ControlMessage(address: "/hal/done", arguments: [.string("/hal/notify"), .int(0), .int(0)])
                ])
            }
            guard let id = subscriptions.subscribe(target, intervalMilliseconds: interval) else {
                return .failure("too many subscribers (\(Subscriptions.capacity))", .conflict)
            }
            return .reply([
                ControlMessage(
                    address: "/hal/done",
                    arguments: [.string("/hal/notify"), .int(id), .int(Int32(Subscriptions.leaseSeconds))])
            ])
        case "/hal/model/list":
            do {
                return .reply([
                    ControlMessage(address: "/hal/model/list", arguments: try library.names().map { .string($0) })
                ])
            } catch {
                return .failure("cannot list models: \(error)", .internalError)
            }
        case "/hal/model/load", "/hal/model/preload":
            guard let name = arguments.first?.text else { return .failure("needs a model name", .badArguments) }
            do {
                _ = try ModelName.validated(name)
            } catch {
                return .failure(error.description, .badArguments)
            }
            return startModelLoad(name, use: message.address == "/hal/model/load", replyTo: peer)
        case "/hal/model/unload":
            state.modelName = nil
            return .change([.replaceModel(name: nil, model: nil)], echo: [])
        case "/hal/model/save":
            let name = arguments.first?.text ?? state.modelName
            guard let name else { return .failure("no model loaded and no name given", .conflict) }
            do {
                _ = try ModelName.validated(name)
            } catch {
                return .failure(error.description, .badArguments)
            }
            return startModelSave(name, replyTo: peer)
        case "/hal/mode":
            guard let text = arguments.first?.text else {
                return .reply([ControlMessage(address: "/hal/mode", arguments: [.string(state.mode.rawValue)])])
            }
            guard let mode = ImproviserMode(rawValue: text) else {
                let known = ImproviserMode.allCases.map(\.rawValue).joined(separator: ", ")
                return .failure("unknown mode '\(text)' (use \(known))", .badArguments)
            }
            state.mode = mode
            return .change([.setMode(mode)], echo: [ControlMessage(address: "/hal/mode", arguments: [.string(text)])])
        case "/hal/learn":
            guard let number else {
                return .reply([ControlMessage(address: "/hal/learn", arguments: [.int(state.learning ? 1 : 0)])])
            }
            state.learning = number != 0
            return .change(
                [.setLearning(state.learning)],
                echo: [ControlMessage(address: "/hal/learn", arguments: [.int(state.learning ? 1 : 0)])])
        case "/hal/transport/start", "/hal/transport/stop":
            if message.address.hasSuffix("start"), hooks.withLock({ $0 })?.audioDown() == true {
                return .failure("the audio backend is down (reconnecting); the agent cannot play", .backendDown)
            }
            state.transportRunning = message.address.hasSuffix("start")
            return .change([.setTransport(running: state.transportRunning)], echo: [])
        case "/hal/panic":
            return .change([.panic], echo: [])
        case "/hal/chord":
            guard let name = arguments.first?.text else {
                let chord = hooks.withLock { $0 }?.status().harmonyChord ?? ""
                return .reply([ControlMessage(address: "/hal/chord", arguments: [.string(chord)])])
            }
            let seconds = arguments.count > 1 ? arguments[1].number ?? 30 : 30
            guard (1...3600).contains(seconds) else {
                return .failure("\(seconds) seconds is out of range 1...3600", .badArguments)
            }
            do {
                let chord = try ChordName(parsing: name)
                return .change(
                    [.overrideChord(chord, seconds: seconds)],
                    echo: [ControlMessage(address: "/hal/chord", arguments: [.string(chord.description)])])
            } catch {
                return .failure(error.description, .badArguments)
            }
        case "/hal/chord/clear":
            return .change([.clearChordOverride], echo: [])
        case "/hal/arc/start":
            let learned = arguments.count > 1 && (arguments[1].number ?? 0) != 0
            return .change([.startArc(minutes: number ?? 0, learned: learned)], echo: [])
        case "/hal/arc/stop":
            return .change([.stopArc], echo: [])
        case "/hal/setlist", "/hal/setlist/next", "/hal/setlist/prev", "/hal/setlist/goto", "/hal/setlist/load":
            guard let setlists else { return .failure("setlists are not available here", .conflict) }
            switch setlists.handle(message, from: peer, host: self) {
            case .answer(let replies): return .reply(replies)
            case .pending: return .reply([])
            case .refused(let reason, let code): return .failure(reason, code)
            }
        case "/hal/midi/channel":
            guard let melody = number else {
                return .reply([
                    ControlMessage(
                        address: "/hal/midi/channel",
                        arguments: [
                            .int(Int32(state.channels.melodyChannelNumber)),
                            .int(Int32(state.channels.bassChannelNumber)),
                        ])
                ])
            }
            let bass = arguments.count > 1 ? arguments[1].number ?? melody : Double(state.channels.bassChannelNumber)
            guard melody == melody.rounded(), bass == bass.rounded(),
                let channels = try? VoiceChannels(melodyChannelNumber: Int(melody), bassChannelNumber: Int(bass))
            else { return .failure("channels must be whole numbers 1-16", .badArguments) }
            state.channels = channels
            return .change(
                state.mpe ? [] : [.setOutputMode(state.outputMode)],
                echo: [
                    ControlMessage(address: "/hal/midi/channel", arguments: [.int(Int32(melody)), .int(Int32(bass))])
                ])
        case "/hal/midi/mpe":
            guard let number else {
                return .reply([ControlMessage(address: "/hal/midi/mpe", arguments: [.int(state.mpe ? 1 : 0)])])
            }
            state.mpe = number != 0
            return .change(
                [.setOutputMode(state.outputMode)],
                echo: [ControlMessage(address: "/hal/midi/mpe", arguments: [.int(state.mpe ? 1 : 0)])])
        case "/hal/midi/mpe/zone":
            guard let text = arguments.first?.text else {
                return .reply([
                    ControlMessage(
                        address: "/hal/midi/mpe/zone",
                        arguments: [
                            .string(state.zone.side == .lower ? "lower" : "upper"), .int(Int32(state.zone.memberCount)),
                            .int(Int32(state.zone.memberBendRange)),
                        ])
                ])
            }
            guard text == "lower" || text == "upper" else {
                return .failure("zone must be lower or upper", .badArguments)
            }
            let members = arguments.count > 1 ? Int(arguments[1].number ?? 15) : state.zone.memberCount
            let bend = arguments.count > 2 ? Int(arguments[2].number ?? 48) : state.zone.memberBendRange
            guard
                let zone = try? MPEZone(text == "lower" ? .lower : .upper, memberCount: members, memberBendRange: bend)
            else {
                return .failure("members must be 1-15 and bend range 0-96", .badArguments)
            }
            state.zone = zone
            return .change(
                state.mpe ? [.setOutputMode(state.outputMode)] : [],
                echo: [
                    ControlMessage(
                        address: "/hal/midi/mpe/zone",
                        arguments: [.string(text), .int(Int32(members)), .int(Int32(bend))])
                ])
        default:
            if message.address.hasPrefix("/hal/snap/"),
                let mode = ImproviserMode(rawValue: String(message.address.dropFirst("/hal/snap/".count)))
            {
                guard let text = arguments.first?.text else {
                    let current = state.snapTargets[mode] ?? .off
                    return .reply([ControlMessage(address: message.address, arguments: [.string(current.rawValue)])])
                }
                guard let target = SnapTarget(rawValue: text) else {
                    return .failure("unknown snapping '\(text)' (use off, chord or scale)", .badArguments)
                }
                state.snapTargets[mode] = target
                return .change(
                    [.setSnapTargets([mode: target])],
                    echo: [ControlMessage(address: message.address, arguments: [.string(text)])])
            }
            if message.address.hasPrefix("/hal/param/") {
                let name = String(message.address.dropFirst("/hal/param/".count))
                guard let value = number else {
                    let current = (try? state.parameters.value(of: name)) ?? 0
                    return .reply([ControlMessage(address: message.address, arguments: [.float(Float(current))])])
                }
                do {
                    try state.parameters.set(name, to: value)
                } catch {
                    return .failure(error.description, .badArguments)
                }
                return .change(
                    [.setParameters(state.parameters)],
                    echo: [ControlMessage(address: message.address, arguments: [.float(Float(value))])])
            }
            return .failure("unknown address", .notFound)
        }
    }

    private func fail(_ address: String, _ reason: String, _ code: FailureCode) -> ControlMessage {
        failures.wrappingAdd(1, ordering: .relaxed)
        logger.info("refused \(address): \(reason)")
        return ControlMessage(
            address: "/hal/fail", arguments: [.string(address), .string(reason), .int(code.rawValue)])
    }

    // MARK: Replies that come later

    private func send(_ message: ControlMessage, to peer: ControlPeer) {
        hooks.withLock { $0 }?.send(message, peer)
    }

    /// One bundle with every status field, to `peer`.
    func statusMessages() -> [ControlMessage] {
        var status = hooks.withLock { $0 }?.status() ?? StatusSnapshot()
        status.clients = subscriptions.count
        status.errors = failureCount
        status.oscReceived = received.load(ordering: .relaxed)
        status.oscMalformed = malformedCount.withLock { $0 }?.read() ?? 0
        status.oscRefusedSenders = droppedSenderCount
        if let piece = setlists?.current {
            status.setlistPiece = piece.index
            status.setlistPieceName = piece.name
        }
        let (cpu, resident) = usage.withLock { $0.sample() }
        status.cpuPercent = cpu
        status.residentMegabytes = resident
        return status.messages(sequence: statusSequence.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    private func sendStatus(to peer: ControlPeer) {
        hooks.withLock { $0 }?.sendBundle(statusMessages(), peer)
    }

    private func queueEchoes(_ echoes: [ControlMessage]) {
        guard !echoes.isEmpty else { return }
        pendingEchoes.withLock { pending in for echo in echoes { pending[echo.address] = echo } }
    }

    /// Echoes queued since the last call (at most one per address: a moving fader does not flood anyone).
    func takeEchoes() -> [ControlMessage] {
        pendingEchoes.withLock { pending in
            let taken = Array(pending.values).sorted { $0.address < $1.address }
            pending.removeAll()
            return taken
        }
    }

    private func startModelLoad(_ name: String, use: Bool, replyTo peer: ControlPeer) -> Outcome {
        let address = use ? "/hal/model/load" : "/hal/model/preload"
        let accepted = modelJobs.submit { [self] in
            do {
                let model = try library.model(named: name)
                if use {
                    desired.withLock { $0.modelName = name }
                    commands.submit([.replaceModel(name: name, model: model)])
                    logger.notice("model loaded", metadata: ["model": "\(name)", "events": "\(model.events.count)"])
                }
                send(ControlMessage(address: "/hal/done", arguments: [.string(address), .string(name)]), to: peer)
            } catch let error as ModelFormatError {
                let code: FailureCode = if case .modelNotFound = error { .notFound } else { .internalError }
                send(fail(address, "\(name): \(error.description)", code), to: peer)
            } catch {
                send(fail(address, "\(name): \(error)", .internalError), to: peer)
            }
        }
        return accepted ? .reply([]) : .failure(ModelJobs.busyReason, .conflict)
    }

    private func startModelSave(_ name: String, replyTo peer: ControlPeer) -> Outcome {
        let accepted = modelJobs.submit { [self] in
            guard let model = hooks.withLock({ $0 })?.modelSnapshot() else {
                send(fail("/hal/model/save", "no model loaded", .conflict), to: peer)
                return
            }
            do {
                try library.store.saveModel(model, named: name)
                send(
                    ControlMessage(address: "/hal/done", arguments: [.string("/hal/model/save"), .string(name)]),
                    to: peer)
            } catch {
                send(fail("/hal/model/save", "\(name): \(error)", .internalError), to: peer)
            }
        }
        return accepted ? .reply([]) : .failure(ModelJobs.busyReason, .conflict)
    }
}

extension ControlCenter: SetlistHost {
    func commit(_ change: (inout DesiredState) -> [EngineCommand]) {
        // Under the lock, so the desired state and the queued batch cannot be interleaved with another change.
        desired.withLock { state in commands.submit(change(&state)) }
    }

    func sendLater(_ message: ControlMessage, to peer: ControlPeer) { send(message, to: peer) }

    func failLater(_ address: String, _ reason: String, _ code: FailureCode, to peer: ControlPeer) {
        send(fail(address, reason, code), to: peer)
    }

    func echo(_ messages: [ControlMessage]) { queueEchoes(messages) }
}

/// The daemon's side of the control surface, set once by `ControlCenter.connect`.
///
/// A class on purpose: a function value kept directly in a generic container (`Mutex<(() -> T)?>`) is wrapped in
/// a new reabstraction thunk on every `withLock` access, so each call grew a chain (measured: memory and call time
/// rising with every status request, and a stack deep enough to crash a long gig). A class reference is not.
private final class Hooks: Sendable {
    let send: @Sendable (ControlMessage, ControlPeer) -> Void
    let sendBundle: @Sendable ([ControlMessage], ControlPeer) -> Void
    let status: @Sendable () -> StatusSnapshot
    let audioDown: @Sendable () -> Bool
    let modelSnapshot: @Sendable () -> MusicHalModel?

    init(
        send: @escaping @Sendable (ControlMessage, ControlPeer) -> Void,
        sendBundle: @escaping @Sendable ([ControlMessage], ControlPeer) -> Void,
        status: @escaping @Sendable () -> StatusSnapshot, audioDown: @escaping @Sendable () -> Bool,
        modelSnapshot: @escaping @Sendable () -> MusicHalModel?
    ) {
        self.send = send
        self.sendBundle = sendBundle
        self.status = status
        self.audioDown = audioDown
        self.modelSnapshot = modelSnapshot
    }

    /// A counter read from elsewhere (the OSC adapter's malformed packets), boxed for the same reason.
    final class Count: Sendable {
        let read: @Sendable () -> Int
        init(_ read: @escaping @Sendable () -> Int) { self.read = read }
    }
}
