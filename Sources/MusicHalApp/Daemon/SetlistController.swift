import Dispatch
import Foundation
import Improviser
import Logging
import ModelFormat
import Synchronization

/// What the setlist controller needs from the control surface (`ControlCenter`; a fake in tests).
protocol SetlistHost: Sendable {
    /// Changes the desired state and queues the engine batch `change` returns, as one step.
    func commit(_ change: (inout ControlCenter.DesiredState) -> [EngineCommand])
    /// Sends a reply that comes after the message was handled (a switch waits for its model).
    func sendLater(_ message: ControlMessage, to peer: ControlPeer)
    /// Sends `/hal/fail` after the message was handled.
    func failLater(_ address: String, _ reason: String, _ code: ControlCenter.FailureCode, to peer: ControlPeer)
    /// Queues echoes for the subscribers.
    func echo(_ messages: [ControlMessage])
}

/// The setlist of `musichal run`: loads it, answers `/hal/setlist...`, and puts pieces in place.
///
/// A switch loads the piece's model first (from memory when it was preloaded, else from disk) and only then
/// moves the cursor and hands the engine one batch (see `SetlistPiece.engineCommands`), so a model that cannot be
/// loaded refuses the switch and the running piece keeps playing. After each switch the following piece's model
/// is preloaded in the background. One switch runs at a time; a step asked for meanwhile is refused (409).
final class SetlistController: Sendable {
    /// The immediate answer to a setlist message.
    enum Response: Equatable {
        /// Replies to send now.
        case answer([ControlMessage])
        /// Accepted; `/hal/done` or `/hal/fail` follows.
        case pending
        /// Refused now.
        case refused(String, ControlCenter.FailureCode)
    }

    private struct State {
        var setlist: Setlist?
        /// Where it was read from, for logs.
        var file: String?
        /// The configuration's parameters, which each piece's values go on top of.
        var base: AgentParameters
        /// What is being put in place while a switch waits for its model, for the refusal of another step.
        var switching: String?
    }

    private let state: Mutex<State>
    private let library: ModelLibrary
    /// Model loads for switches and preloads, one at a time: a switch asked for while the next piece's model is
    /// being preloaded waits for it and finds it in memory. A dispatch queue rather than a task, so blocking
    /// file reads never wait for (or hold) a thread of Swift's cooperative pool.
    private let work = DispatchQueue(label: "musichal.setlist", qos: .userInitiated)
    /// Where `/hal/setlist/load NAME` looks: `<state>/setlists`.
    let directory: String
    private let logger = Logger(label: "musichal.setlist")

    init(library: ModelLibrary, directory: String, baseParameters: AgentParameters) {
        self.library = library
        self.directory = directory
        state = Mutex(State(base: baseParameters))
    }

    /// The setlist file to perform: `--setlist` as given, else `agent.setlist` relative to the configuration file.
    static func path(options: DaemonOptions, configuration: MusicHalConfiguration) -> String? {
        if let path = options.setlist { return path }
        guard let path = configuration.agent.setlist else { return nil }
        guard !path.hasPrefix("/"), let file = options.configurationPath else { return path }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path).path
    }

    /// Where `/hal/setlist/load NAME` finds `NAME.yaml`.
    static func directory(_ paths: ResolvedPaths) -> String { paths.state + "/setlists" }

    /// The setlist loaded now, if any.
    var setlist: Setlist? { state.withLock { $0.setlist } }

    /// The piece in place for the status stream: index and name, or -1 and "" without a setlist.
    var current: (index: Int, name: String) {
        state.withLock { state in state.setlist.map { ($0.index, $0.current.name) } ?? (-1, "") }
    }

    /// Reads a setlist file and checks each piece's parameters on top of `base` (the combination the piece will
    /// play with), so a piece whose bounds contradict the configuration fails here rather than at the switch.
    static func read(path: String, base: AgentParameters) throws(SetlistError) -> Setlist {
        let setlist = try SetlistLoader.load(path: path)
        for (index, piece) in setlist.pieces.enumerated() {
            do {
                _ = try piece.parameters(over: base)
            } catch {
                throw SetlistError(
                    file: path, line: nil, key: "pieces[\(index)].parameters",
                    problem: "\(error.description) (with the configuration's agent.parameters)")
            }
        }
        return setlist
    }

    /// A setlist read at start with its first piece's model loaded, waiting for the control surface.
    struct Opening: Sendable {
        let setlist: Setlist
        let file: String
        let model: MusicHalModel
        let parameters: AgentParameters
    }

    /// Start of the daemon, before any device opens: reads `path` and loads the first piece's model. Errors are
    /// one line naming the file and the line and key, or the piece and its model.
    func prepare(path: String) throws(DaemonFailure) -> Opening {
        let base = state.withLock { $0.base }
        let setlist: Setlist
        do {
            setlist = try Self.read(path: path, base: base)
        } catch {
            throw DaemonFailure(description: "cannot use the setlist: \(error.description)")
        }
        let piece = setlist.current
        do {
            return Opening(
                setlist: setlist, file: path, model: try library.model(named: piece.model),
                parameters: try piece.parameters(over: base))
        } catch {
            throw DaemonFailure(
                description: "cannot use the setlist \(path): piece 0 '\(piece.name)': model '\(piece.model)': \(error)"
            )
        }
    }

    /// Puts the prepared first piece in place through `host` (the engine applies it when it starts), warns
    /// about pieces whose model file is missing, and preloads the next piece's model.
    func begin(_ opening: Opening, host: any SetlistHost) {
        let setlist = opening.setlist
        put(setlist, file: opening.file, model: opening.model, parameters: opening.parameters, host: host)
        for (index, piece) in setlist.pieces.enumerated() {
            if (try? library.store.filePath(forModel: piece.model)).map(FileManager.default.fileExists) != true {
                logger.warning(
                    "a piece's model is missing: switching to it will be refused until it exists",
                    metadata: ["piece": "\(index) \(piece.name)", "model": "\(piece.model)"])
            }
        }
        logger.notice(
            "setlist loaded",
            metadata: [
                "file": "\(opening.file)", "pieces": "\(setlist.pieces.count)", "piece": "0 \(setlist.current.name)",
            ])
        preloadUpcoming(of: setlist)
    }

    /// `prepare` and `begin` in one step.
    func begin(path: String, host: any SetlistHost) throws(DaemonFailure) {
        begin(try prepare(path: path), host: host)
    }

    /// What a reload did with the setlist file.
    enum ReloadOutcome: Equatable, CustomStringConvertible {
        /// Read again and in use from the next step.
        case reloaded(String)
        /// Not readable: the running setlist stays.
        case kept(SetlistError)

        var description: String {
            switch self {
            case .reloaded(let path): "setlist reloaded from \(path)"
            case .kept(let error): "setlist NOT reloaded, keeping the running one: \(error.description)"
            }
        }
    }

    /// SIGHUP: reads the configured setlist again (when there is one) and keeps the piece in place with its mode
    /// and parameters on top of the reloaded configuration. A setlist that does not read keeps the running one.
    /// Returns what happened to the file, or nil when none is configured.
    func reload(path: String?, base: AgentParameters, host: any SetlistHost) -> ReloadOutcome? {
        state.withLock { $0.base = base }
        var outcome: ReloadOutcome?
        if let path {
            do {
                let fresh = try Self.read(path: path, base: base)
                state.withLock { state in
                    // The piece playing keeps playing; the new list applies from the next step.
                    let index = min(state.setlist?.index ?? 0, fresh.pieces.count - 1)
                    var updated = fresh
                    _ = try? updated.goto(index)
                    state.setlist = updated
                    state.file = path
                }
                outcome = .reloaded(path)
            } catch {
                outcome = .kept(error)
            }
        }
        if let piece = setlist?.current, let parameters = try? piece.parameters(over: base) {
            host.commit { desired in
                if let mode = piece.mode { desired.mode = mode }
                desired.parameters = parameters
                return (piece.mode.map { [EngineCommand.setMode($0)] } ?? []) + [.setParameters(parameters)]
            }
        }
        if let setlist { preloadUpcoming(of: setlist) }
        return outcome
    }

    // MARK: OSC

    /// Handles one `/hal/setlist...` message (already checked against the address table).
    func handle(_ message: ControlMessage, from peer: ControlPeer, host: any SetlistHost) -> Response {
        switch message.address {
        case "/hal/setlist":
            return .answer([query()])
        case "/hal/setlist/next":
            return step(message.address, from: peer, host: host) { setlist throws(MusicianshipError) in
                try setlist.next()
            }
        case "/hal/setlist/prev":
            return step(message.address, from: peer, host: host) { setlist throws(MusicianshipError) in
                try setlist.previous()
            }
        case "/hal/setlist/goto":
            guard let number = message.arguments.first?.number, number == number.rounded(), abs(number) < 1e6 else {
                return .refused("the piece index must be a whole number (pieces count from 0)", .badArguments)
            }
            return step(message.address, from: peer, host: host) { setlist throws(MusicianshipError) in
                try setlist.goto(Int(number))
            }
        case "/hal/setlist/load":
            return load(message.arguments.first?.text ?? "", from: peer, host: host)
        default:
            return .refused("unknown address", .notFound)
        }
    }

    /// `/hal/setlist s:set i:piece i:count s:pieceName`.
    private func query() -> ControlMessage {
        let setlist = setlist
        return ControlMessage(
            address: "/hal/setlist",
            arguments: [
                .string(setlist?.name ?? ""), .int(Int32(setlist?.index ?? -1)),
                .int(Int32(setlist?.pieces.count ?? 0)),
                .string(setlist?.current.name ?? ""),
            ])
    }

    private func step(
        _ address: String, from peer: ControlPeer, host: any SetlistHost,
        move: (inout Setlist) throws(MusicianshipError) -> Void
    ) -> Response {
        let claimed: Result<Setlist, Refusal> = state.withLock { state in
            guard var setlist = state.setlist else {
                return .failure(
                    Refusal(
                        reason: "no setlist is loaded (run --setlist FILE, agent.setlist in the configuration, "
                            + "or /hal/setlist/load NAME)", code: .conflict))
            }
            if let switching = state.switching {
                return .failure(Refusal(reason: "still switching to \(switching); try again", code: .conflict))
            }
            do throws(MusicianshipError) {
                try move(&setlist)
            } catch {
                let code: ControlCenter.FailureCode =
                    if case .setlistIndexOutOfRange = error { .badArguments } else { .conflict }
                return .failure(Refusal(reason: error.description, code: code))
            }
            state.switching = "piece \(setlist.index) '\(setlist.current.name)'"
            return .success(setlist)
        }
        switch claimed {
        case .failure(let refusal):
            return .refused(refusal.reason, refusal.code)
        case .success(let target):
            let file = state.withLock { $0.file }
            work.async { [self] in switchTo(target, file: file, address: address, peer: peer, host: host) }
            return .pending
        }
    }

    private func load(_ name: String, from peer: ControlPeer, host: any SetlistHost) -> Response {
        do {
            _ = try ModelName.validated(name)
        } catch {
            return .refused(
                "invalid setlist name '\(name)': use letters, digits, '-', '_' and '.', without path separators",
                .badArguments)
        }
        let busy: String? = state.withLock { state in
            if let switching = state.switching { return switching }
            state.switching = "setlist '\(name)'"
            return nil
        }
        if let busy { return .refused("still switching to \(busy); try again", .conflict) }
        let path = "\(directory)/\(name).yaml"
        work.async { [self] in
            let base = state.withLock { $0.base }
            do throws(SetlistError) {
                let setlist = try Self.read(path: path, base: base)
                switchTo(setlist, file: path, address: "/hal/setlist/load", peer: peer, host: host)
            } catch {
                state.withLock { $0.switching = nil }
                let code: ControlCenter.FailureCode =
                    FileManager.default.fileExists(atPath: path) ? .badArguments : .notFound
                host.failLater("/hal/setlist/load", error.description, code, to: peer)
            }
        }
        return .pending
    }

    /// Loads the target piece's model, then puts it in place and answers; on failure nothing changes.
    private func switchTo(_ target: Setlist, file: String?, address: String, peer: ControlPeer, host: any SetlistHost) {
        let started = DispatchTime.now().uptimeNanoseconds
        let piece = target.current
        do {
            let model = try library.model(named: piece.model)
            let parameters = try piece.parameters(over: state.withLock { $0.base })
            put(target, file: file, model: model, parameters: parameters, host: host)
        } catch {
            state.withLock { $0.switching = nil }
            let code: ControlCenter.FailureCode =
                if case .modelNotFound = error as? ModelFormatError { .notFound } else { .internalError }
            let reason =
                "piece \(target.index) '\(piece.name)': model '\(piece.model)': \(error); "
                + "the current piece keeps playing"
            logger.error("setlist switch refused: \(reason)")
            host.failLater(address, reason, code, to: peer)
            return
        }
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        logger.notice(
            "piece in place",
            metadata: [
                "piece": "\(target.index) \(piece.name)", "model": "\(piece.model)",
                "switch_ms": "\(String(format: "%.2f", milliseconds))", "setlist": "\(file ?? "")",
            ])
        host.sendLater(
            ControlMessage(
                address: "/hal/done", arguments: [.string(address), .int(Int32(target.index)), .string(piece.name)]),
            to: peer)
        host.echo(
            [query()]
                + (piece.mode.map { [ControlMessage(address: "/hal/mode", arguments: [.string($0.rawValue)])] } ?? []))
        preloadUpcoming(of: target)
    }

    /// Commits the piece of `setlist` (its cursor) with its loaded `model` and `parameters`, and makes `setlist` the
    /// current one.
    private func put(
        _ setlist: Setlist, file: String?, model: MusicHalModel, parameters: AgentParameters, host: any SetlistHost
    ) {
        let piece = setlist.current
        host.commit { desired in
            // The same model stays as the engine has it, with anything it learned; a panic still starts the piece.
            let keepsModel = desired.modelName == piece.model
            desired.modelName = piece.model
            if let mode = piece.mode { desired.mode = mode }
            desired.parameters = parameters
            return piece.engineCommands(loading: keepsModel ? nil : model, parameters: parameters)
        }
        state.withLock { state in
            state.setlist = setlist
            state.file = file
            state.switching = nil
        }
    }

    private func preloadUpcoming(of setlist: Setlist) {
        guard let upcoming = setlist.upcoming else { return }
        let index = setlist.index + 1
        work.async { [library, logger] in
            do {
                try library.preload(upcoming.model)
            } catch {
                logger.warning(
                    "cannot preload the next piece's model: \(error)",
                    metadata: ["piece": "\(index) \(upcoming.name)", "model": "\(upcoming.model)"])
            }
        }
    }
}

private struct Refusal: Error {
    let reason: String
    let code: ControlCenter.FailureCode
}
