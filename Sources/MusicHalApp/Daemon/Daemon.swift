import AudioFeatures
import Dispatch
import FFTWAdapter
import Foundation
import Glibc
public import Improviser
import Logging
import MIDICore
import ModelFormat
import MusicHalCore
import OSCAdapter
import RealtimeSupport
import ServiceLifecycle
import Synchronization
import SystemdAdapter
import UnixSignals

/// Options of `musichal run` beyond the configuration file.
public struct DaemonOptions: Sendable {
    /// Configuration file, if any.
    public var configurationPath: String?
    /// Model to load at start (overrides the configuration's `agent.model`).
    public var model: String?
    /// Mode at start (overrides `agent.mode`).
    public var mode: ImproviserMode?
    /// OSC port (overrides `osc.port`); 0 picks a free port, which is logged and written to `portFile`.
    public var oscPort: Int?
    /// A file to write the OSC port to once listening (for tests and scripts).
    public var portFile: String?
    /// Performance arc length in minutes (overrides `agent.performance_minutes`).
    public var performanceMinutes: Double?
    /// The arc follows the model's learned loudness contour (overrides `agent.learned_arc` when true).
    public var learnedArc = false
    /// Setlist file to perform (overrides `agent.setlist`; relative to the working directory).
    public var setlist: String?

    /// Defaults.
    public init() {}
}

/// A failure before the daemon could start, with one clear line.
public struct DaemonFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
}

/// `musichal run`: the long-running performer.
///
/// Start order (swift-service-lifecycle stops in reverse): health (sd_notify), audio device (JACK: audio in and
/// MIDI out together), engine, OSC control, status stream, and a shutdown announcer. `READY=1` is sent once all
/// have started. SIGTERM/SIGINT: `STOPPING=1`, control stops, the engine sends a panic, the device drains one
/// cycle, exit 0. SIGHUP reloads the configuration.
public enum Daemon {
    /// Runs until SIGTERM or SIGINT.
    public static func run(options: DaemonOptions) async throws {
        let logger = Logger(label: "musichal")
        let notifier = SystemdNotifier()
        var configuration = MusicHalConfiguration()
        if let path = options.configurationPath { configuration = try ConfigurationLoader.load(path: path) }
        if let model = options.model { configuration.agent.model = model }
        if let mode = options.mode { configuration.agent.mode = mode }
        if let minutes = options.performanceMinutes { configuration.agent.performanceMinutes = minutes }
        if options.learnedArc { configuration.agent.learnedArc = true }
        if let port = options.oscPort { configuration.osc.port = port }
        notifier.status("starting")

        // Files: create the state and models directories when missing (systemd's StateDirectory= may already have).
        let paths = ResolvedPaths(configuration: configuration.paths)
        let setlistPath = SetlistController.path(options: options, configuration: configuration)
        for directory in [paths.state, paths.models, paths.performances, SetlistController.directory(paths)] {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let library = ModelLibrary(
            store: ModelDirectory(path: paths.models), budgetBytes: configuration.agent.modelCacheMegabytes << 20)
        // A setlist is read, and its first piece's model loaded, before any device opens: a bad one stops here.
        let setlists = SetlistController(
            library: library, directory: SetlistController.directory(paths),
            baseParameters: configuration.agent.parameters)
        let opening = try setlistPath.map(setlists.prepare(path:))

        // Audio device: connected before the engine is built, so the stream's sample rate is known. Without a
        // server the device keeps trying in the background and the daemon starts degraded at the configured rate.
        let wake = EngineWakeup()
        let device = try DeviceFactory.make(configuration: configuration, wake: { wake.signal() })
        if let device { try device.start() }
        let sampleRate =
            device.map { $0.sampleRate > 0 ? $0.sampleRate : configuration.audio.sampleRate }
            ?? configuration.audio.sampleRate

        // Engine.
        let seed = configuration.agent.seed ?? UInt64.random(in: 1...UInt64.max)
        logger.notice("starting", metadata: ["seed": "\(seed)", "models": "\(paths.models)", "rate": "\(sampleRate)"])
        var improviser = Improviser(
            sampleRate: sampleRate, seed: seed, parameters: configuration.agent.parameters,
            mode: configuration.agent.mode)
        improviser.isLearning = configuration.agent.learning
        improviser.snapTargets = configuration.agent.snap
        let channels = try VoiceChannels(
            melodyChannelNumber: configuration.midi.melodyChannel, bassChannelNumber: configuration.midi.bassChannel)
        let zone = try MPEZone(
            configuration.midi.mpeZone == .lower ? .lower : .upper, memberCount: configuration.midi.mpeMembers,
            memberBendRange: configuration.midi.mpeBendRange)
        let outputMode: MIDIOutputMode = configuration.midi.mode == .mpe ? .mpe(zone) : .standard(channels: channels)
        let engine = ImprovisationEngine(
            listener: try StreamingListener(sampleRate: sampleRate, fftProvider: FFTWProvider()),
            improviser: improviser,
            outputMode: outputMode, maximumNoteSeconds: configuration.midi.maximumNoteSeconds,
            midiSettings: configuration.midi.input.listenerSettings)
        var initialModel: String?
        if let name = configuration.agent.model, setlistPath == nil {
            do {
                let model = try library.model(named: name)
                _ = engine.apply(.replaceModel(name: name, model: model), at: 0)
                initialModel = name
            } catch {
                throw DaemonFailure(description: "cannot load model '\(name)': \(error)")
            }
        }
        if configuration.agent.performanceMinutes > 0 {
            _ = engine.apply(
                .startArc(minutes: configuration.agent.performanceMinutes, learned: configuration.agent.learnedArc),
                at: 0)
            logger.notice(
                "performance arc started",
                metadata: [
                    "minutes": "\(configuration.agent.performanceMinutes)",
                    "shape": "\(configuration.agent.learnedArc ? "learned" : "default")",
                ])
        }
        let commands = CommandQueue()
        // One MIDI port per voice when configured: the bass channel goes to the second port.
        let bassWire = channels.bassWireChannel
        let melodyWire = channels.melodyWireChannel
        let perVoice = configuration.midi.portPerVoice && configuration.midi.mode == .standard && bassWire != melodyWire
        let recorder: PerformanceRecorder? =
            configuration.recording.enabled
            ? try PerformanceRecorder(
                path: "\(paths.performances)/performance-\(PerformanceRunner.timestamp()).mid", sampleRate: sampleRate,
                recordInput: configuration.recording.input)
            : nil
        if let recorder { logger.notice("recording the performance", metadata: ["file": "\(recorder.path)"]) }
        // Neural tokens: a broken checkpoint must not stop the performance, so it only switches them off.
        var neural: LiveNeuralTokenizer?
        var neuralOffReason = "no neural checkpoint is configured"
        if let checkpoint = configuration.neural.checkpoint {
            do {
                let encoder = try NeuralEventEncoder(directory: checkpoint, threads: configuration.neural.threads)
                neural = LiveNeuralTokenizer(
                    encoder: encoder, deadlineSeconds: Double(configuration.neural.deadlineMilliseconds) / 1000,
                    failureLimit: configuration.neural.failureLimit, retrySeconds: configuration.neural.retrySeconds)
                logger.notice("neural encoder ready", metadata: ["checkpoint": "\(checkpoint)"])
            } catch {
                neuralOffReason = "checkpoint \(checkpoint): \(error)"
                logger.error("neural tokens are off", metadata: ["reason": "\(neuralOffReason)"])
            }
        }
        let loop = EngineLoop(
            engine: engine, device: device, commands: commands, wake: wake, recorder: recorder, neural: neural,
            neuralOffReason: neuralOffReason,
            route: { message in
                guard perVoice, message.message.channel == bassWire else { return message }
                var routed = message
                routed.port = 1
                return routed
            })

        // Control.
        let subscriptions = Subscriptions()
        let allowed = configuration.osc.allow.compactMap(AddressRange.init(parsing:))
        let control = ControlCenter(
            commands: commands, library: library, subscriptions: subscriptions, allowed: allowed,
            initial: ControlCenter.DesiredState(
                mode: configuration.agent.mode, parameters: configuration.agent.parameters,
                learning: configuration.agent.learning, channels: channels, mpe: configuration.midi.mode == .mpe,
                zone: zone, modelName: initialModel, snapTargets: configuration.agent.snap),
            setlists: setlists)
        // The first piece goes in place when the engine starts (the batch waits in the queue until then).
        if let opening { setlists.begin(opening, host: control) }
        let server = try OSCServer(
            port: configuration.osc.port == 0 ? nil : configuration.osc.port,
            transport: configuration.osc.transport == .udp ? .udp : .tcp
        ) { incoming in
            control.handle(incoming.messages, from: incoming.peer)
        }
        control.setBaseline(configuration)
        control.countMalformed { OSCServer.malformedPacketCount }
        control.connect(
            send: { message, peer in server.send(message, to: peer) },
            sendBundle: { messages, peer in server.sendBundle(messages, to: peer) },
            status: { loop.status },
            audioDown: { device.map { $0.state != .running } ?? false },
            modelSnapshot: { loop.modelSnapshot() })
        logger.notice(
            "OSC listening", metadata: ["port": "\(server.port)", "transport": "\(configuration.osc.transport)"])

        // Audio device, engine, OSC and status arrive; health then sends READY=1.
        let readiness = ReadinessBarrier(expected: 4)
        let health = HealthService(notifier: notifier, loop: loop, readiness: readiness, control: control)
        let services: [any Service] = [
            health,
            ComponentService(name: "audio device", readiness: readiness) {
                // Started above, before the engine was built.
            } stop: {
                device?.stop()
            },
            RecordingService(recorder: recorder),
            ComponentService(name: "engine", readiness: readiness) {
                loop.start()
            } stop: {
                loop.stop()
            },
            ComponentService(name: "osc", readiness: readiness) {
                server.start()
                if let portFile = options.portFile {
                    try? AtomicFile.write(Array("\(server.port)\n".utf8), to: portFile)
                }
            } stop: {
                server.stop()
            },
            StatusService(
                server: server, control: control, subscriptions: subscriptions, readiness: readiness, loop: loop,
                recorder: recorder, sampleRate: sampleRate),
            ReloadService(
                notifier: notifier, options: options, control: control, commands: commands, setlists: setlists),
            ComponentService(name: "shutdown announcer", readiness: nil) {
            } stop: {
                notifier.stopping(status: "stopping")
                logger.notice("stopping")
            },
        ]
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.notice("stopped")
    }
}

/// Counts started services; READY=1 waits until all have arrived.
actor ReadinessBarrier {
    private let expected: Int
    private var started = 0

    init(expected: Int) { self.expected = expected }

    func arrive() { started += 1 }

    var isComplete: Bool { started >= expected }
}

/// A component started at the beginning of `run` and stopped when graceful shutdown reaches it.
struct ComponentService: Service, CustomStringConvertible {
    let description: String
    let readiness: ReadinessBarrier?
    let start: @Sendable () async throws -> Void
    let stop: @Sendable () async -> Void

    init(
        name: String, readiness: ReadinessBarrier?, start: @escaping @Sendable () async throws -> Void,
        stop: @escaping @Sendable () async -> Void
    ) {
        description = name
        self.readiness = readiness
        self.start = start
        self.stop = stop
    }

    func run() async throws {
        try await start()
        await readiness?.arrive()
        try? await gracefulShutdown()
        await stop()
    }
}

/// Moves what the engine sent and heard into the performance's MIDI file; stops after the engine, so the final
/// panic is recorded too.
struct RecordingService: Service, CustomStringConvertible {
    let recorder: PerformanceRecorder?
    var description: String { "recording" }

    func run() async throws {
        guard let recorder else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(250))
            recorder.drain()
        }
        // Wait until the engine has stopped (the group stops services in reverse order), then close the file.
        try? await gracefulShutdown()
        recorder.finish()
    }
}

/// sd_notify: READY=1 when every service has started, STATUS= on changes, WATCHDOG=1 while the engine makes
/// progress (a stalled engine is left for systemd to restart).
struct HealthService: Service, CustomStringConvertible {
    let notifier: any HealthNotifier
    let loop: EngineLoop
    let readiness: ReadinessBarrier
    let control: ControlCenter
    var description: String { "health" }

    func run() async throws {
        // Wait for every service to start (or for shutdown, should it come first).
        while await !readiness.isComplete {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
        notifier.ready(status: loop.status.line)
        let watchdogInterval = notifier.watchdogTimeoutMicroseconds.map { Double($0) / 2e6 }
        var lastHeartbeat = loop.heartbeat
        var lastPing = Date()
        var lastLine = ""
        var lastStatus = Date.distantPast
        // Short steps, so shutdown never waits long for this loop.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(50))
            if let watchdogInterval, Date().timeIntervalSince(lastPing) >= watchdogInterval {
                // Only a live engine earns a ping: a stalled one is left for systemd to restart.
                let heartbeat = loop.heartbeat
                if heartbeat != lastHeartbeat {
                    notifier.watchdog()
                    lastPing = Date()
                }
                lastHeartbeat = heartbeat
            }
            let line = loop.status.line
            let stateChanged = line.split(separator: " ").first != lastLine.split(separator: " ").first
            if line != lastLine && (stateChanged || Date().timeIntervalSince(lastStatus) >= 5) {
                notifier.status(line)
                lastLine = line
                lastStatus = Date()
            }
        }
    }
}

/// Sends the status stream to subscribers and coalesced echoes of changed values to everyone listening.
struct StatusService: Service, CustomStringConvertible {
    let server: OSCServer
    let control: ControlCenter
    let subscriptions: Subscriptions
    let readiness: ReadinessBarrier
    let loop: EngineLoop
    let recorder: PerformanceRecorder?
    let sampleRate: Double
    var description: String { "status" }

    func run() async throws {
        await readiness.arrive()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(20))
            let echoes = control.takeEchoes()
            if !echoes.isEmpty {
                for peer in subscriptions.all() { for echo in echoes { server.send(echo, to: peer) } }
            }
            // Why each phrase was played: to subscribers as it happens, and into the performance's decision log.
            let decisions = loop.takeDecisions().map { DecisionLog.line($0, sampleRate: sampleRate) }
            if !decisions.isEmpty {
                recorder?.decided(decisions)
                let peers = subscriptions.all()
                for line in decisions {
                    let message = ControlMessage(address: "/hal/event/decision", arguments: [.string(line)])
                    for peer in peers { server.send(message, to: peer) }
                }
            }
            let due = subscriptions.due()
            guard !due.isEmpty else { continue }
            let bundle = control.statusMessages()
            for peer in due { server.sendBundle(bundle, to: peer) }
        }
    }
}

/// SIGHUP: reload the configuration and apply what can change live; an invalid file keeps the running one.
struct ReloadService: Service, CustomStringConvertible {
    let notifier: any HealthNotifier
    let options: DaemonOptions
    let control: ControlCenter
    let commands: CommandQueue
    let setlists: SetlistController
    var description: String { "reload" }

    func run() async throws {
        // A dispatch source rather than an async signal sequence: it stops at once when shutdown comes.
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "musichal.reload"))
        source.setEventHandler { [self] in reload() }
        source.resume()
        try? await gracefulShutdown()
        source.cancel()
    }

    private func reload() {
        let logger = Logger(label: "musichal.reload")
        notifier.reloading(status: "reloading configuration")
        guard let path = options.configurationPath else {
            logger.notice("SIGHUP: no configuration file to reload")
            notifier.ready(status: "running (no configuration file to reload)")
            return
        }
        do {
            var fresh = try ConfigurationLoader.load(path: path)
            // Command-line choices keep overriding the file, as at start.
            if let model = options.model { fresh.agent.model = model }
            if let mode = options.mode { fresh.agent.mode = mode }
            if let port = options.oscPort { fresh.osc.port = port }
            let applied = control.applyReloaded(fresh)
            logger.notice(
                "configuration reloaded",
                metadata: ["applied": "\(applied.live)", "needs restart": "\(applied.restart)"])
            let restart = applied.restart.isEmpty ? "" : "; restart to apply \(applied.restart.joined(separator: ", "))"
            let setlist = setlists.reload(
                path: SetlistController.path(options: options, configuration: fresh), base: fresh.agent.parameters,
                host: control)
            switch setlist {
            case .reloaded?: logger.notice("\(setlist!)")
            case .kept?: logger.error("\(setlist!)")
            case nil: break
            }
            notifier.ready(status: "configuration reloaded\(restart)\(setlist.map { "; \($0)" } ?? "")")
        } catch {
            logger.error("configuration not reloaded, keeping the running one: \(error)")
            notifier.ready(status: "configuration NOT reloaded (\(error)); running with the previous one")
        }
    }
}
