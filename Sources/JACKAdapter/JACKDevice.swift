import CJACK
import Glibc
public import Logging
public import MusicHalCore
public import RealtimeSupport
import Synchronization

/// MusicHal's JACK client: audio inputs mixed to mono into the bridge's input ring, MIDI from the bridge's output
/// ring written at exact frame offsets, and a supervisor thread that reconnects when the server goes away.
///
/// The process callback is real-time safe (no allocation, lock, logging or Foundation; only preallocated memory,
/// atomics and the SPSC rings) and runs inside `rt_scope_begin()`/`rt_scope_end()`, so RealtimeSanitizer checks
/// it. Stream clock: frames processed since the first cycle; after a reconnect it advances by the outage's length
/// measured on the monotonic clock, so the engine sees a gap rather than a jump back. Call `start()` and `stop()`
/// from one thread, and `stop()` before letting the device go (its supervisor thread holds it); every other
/// member may be read from any thread. libjack keeps one set of process-wide globals for the server it talks to:
/// all clients of one process (devices, `serverIsAvailable`) must use the same server at any one time.
public final class JACKDevice: RealtimeAudioDevice, Sendable {
    /// The configuration the device was created with.
    public let configuration: JACKDeviceConfiguration
    /// The bridge shared with the engine.
    public let bridge: RealtimeBridge

    private struct Control {
        var state = DeviceState.idle
        var session: JACKSession?
        var supervisor: WorkerThread?
    }

    private let logger: Logger
    private let clock = StreamClock()
    private let supervisorSignal = WakeSignal()
    private let control = Mutex(Control())
    private let stopRequested = Atomic<Bool>(false)
    private let sampleRateBits = Atomic<UInt64>(0)
    private let handOff = FreewheelHandOff()

    /// Creates a device; checks the configuration (names, connection patterns) but connects nothing yet.
    public init(
        configuration: JACKDeviceConfiguration, bridge: RealtimeBridge,
        logger: Logger = Logger(label: "musichal.jack")
    ) throws(JACKError) {
        try configuration.validate()
        self.configuration = configuration
        self.bridge = bridge
        self.logger = logger
    }

    /// The server's sample rate (0 until the first connection).
    public var sampleRate: Double { Double(bitPattern: sampleRateBits.load(ordering: .relaxed)) }

    /// Current connection state.
    public var state: DeviceState { control.withLock { $0.state } }

    /// Frames processed so far on the stream clock (the first frame of the next cycle).
    public var streamFrame: FrameTime { clock.nextFrame.load(ordering: .relaxed) }

    /// MIDI messages discarded because no MIDI port exists, a port's JACK buffer was full, or they were due before
    /// the stream restarted (meant for a server that went away).
    public var droppedMIDIMessages: UInt64 { clock.droppedMIDIMessages.load(ordering: .relaxed) }

    /// True while the server freewheels; the process callback then keeps in step with the engine (see
    /// `engineCaughtUp(through:)`).
    public var isFreewheeling: Bool {
        control.withLock { $0.session?.freewheeling.load(ordering: .relaxed) ?? false }
    }

    /// Freewheel cycles that gave up waiting for the engine (it took longer than half a second).
    public var freewheelStalls: UInt64 { handOff.stalls.load(ordering: .relaxed) }

    /// The engine has processed every input block through `frame` and pushed every MIDI message due in the
    /// period after it (`FrameTime.max`: it stopped). While the server freewheels, each cycle waits for this
    /// before writing its MIDI; in real time nothing waits for it.
    public func engineCaughtUp(through frame: FrameTime) { handOff.engineConsumed(through: frame) }

    /// Full names of the client's ports while connected (inputs, then MIDI outputs), e.g. `musichal:in_1`.
    public var portNames: (audioInputs: [String], midiOutputs: [String]) {
        control.withLock { ($0.session?.inputPortNames ?? [], $0.session?.midiPortNames ?? []) }
    }

    /// Full names of the client's MIDI input ports while connected, e.g. `musichal:midi_in`.
    public var midiInputPortNames: [String] { control.withLock { $0.session?.midiInputPortNames ?? [] } }

    /// True when a JACK server of this name (nil: the default) accepts clients right now. Opens and closes a
    /// client without ports; never starts a server.
    public static func serverIsAvailable(serverName: String?) -> Bool {
        _ = jackMessagePrintersInstalled
        var status = jack_status_t(rawValue: 0)
        guard let client = musichal_jack_client_open("musichal-probe", serverName, &status) else { return false }
        jack_client_close(client)
        return true
    }

    /// Connects to the server, registers the ports, activates the client and applies the connection patterns;
    /// then supervises the connection until `stop()`. Throws `JACKError` when no server is reachable (unless
    /// `startWithoutServer` is set, which enters `.reconnecting` instead) or the server refuses the client.
    /// Does nothing when already started.
    public func start() throws {
        let alreadyStarted = control.withLock { control in
            switch control.state {
            case .running, .reconnecting: true
            case .idle, .stopped: false
            }
        }
        if alreadyStarted { return }
        stopRequested.store(false, ordering: .relaxed)
        do {
            let session = try openSession()
            control.withLock {
                $0.session = session
                $0.state = .running
            }
            if !applyConnections(session, firstTime: true) { session.portsAppeared.store(true, ordering: .releasing) }
            session.openInput()
            logger.info(
                "JACK client active",
                metadata: [
                    "client": "\(session.clientName)", "server": "\(configuration.serverDisplayName)",
                    "sample_rate": "\(session.sampleRate)",
                ])
        } catch {
            forwardLibjackMessages(quiet: true)
            guard configuration.startWithoutServer else { throw error }
            logger.warning("\(error.description); waiting for the server")
            control.withLock { $0.state = .reconnecting(error.description) }
        }
        let supervisor = WorkerThread(name: "musichal-jack") { [self] in supervise() }
        control.withLock { $0.supervisor = supervisor }
    }

    /// Sends every queued MIDI message in one last cycle (queued note-offs go out; messages due later go out at
    /// the cycle's last frame), then deactivates and closes the client and ends the supervisor.
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        supervisorSignal.signal()
        let supervisor = control.withLock { control in
            defer { control.supervisor = nil }
            return control.supervisor
        }
        supervisor?.join()
        guard let session = control.withLock({ $0.session }) else {
            control.withLock { $0.state = .stopped }
            return
        }
        if !session.lost.load(ordering: .acquiring) {
            drainOneCycle(session)
            session.inputClosed.store(true, ordering: .relaxed)
            jack_deactivate(session.client)
        }
        jack_client_close(session.client)
        control.withLock {
            $0.session = nil
            $0.state = .stopped
        }
        forwardLibjackMessages(quiet: false)
        logger.info("JACK client closed", metadata: ["client": "\(session.clientName)"])
    }

    // MARK: Sessions

    private func openSession() throws(JACKError) -> JACKSession {
        let session = try JACKSession(
            configuration: configuration, bridge: bridge, clock: clock, supervisorSignal: supervisorSignal,
            handOff: handOff)
        let previousRate = sampleRate
        sampleRateBits.store(session.sampleRate.bitPattern, ordering: .relaxed)
        if previousRate != 0 && previousRate != session.sampleRate {
            logger.warning("JACK sample rate changed from \(previousRate) to \(session.sampleRate)")
        }
        // The clock continues across reconnects: before the first new cycle, add the outage, i.e. the time since
        // the last cycle began minus that cycle's own length.
        let lastCycle = clock.lastCycleNanoseconds.load(ordering: .relaxed)
        let now = monotonicNanoseconds()
        if lastCycle != 0 && now > lastCycle {
            let elapsed = (Double(now - lastCycle) / 1e9 * session.sampleRate).rounded()
            let gap = max(0, elapsed - Double(clock.lastCycleFrames.load(ordering: .relaxed)))
            clock.nextFrame.wrappingAdd(UInt64(gap), ordering: .relaxed)
        }
        try session.activate()
        return session
    }

    /// Waits until one full cycle ran with `flushAll` set (at most half a second: the server may hang).
    private func drainOneCycle(_ session: JACKSession) {
        session.flushAll.store(true, ordering: .relaxed)
        let startCycles = bridge.counters.cycles
        let deadline = monotonicNanoseconds() + 500_000_000
        while bridge.counters.cycles < startCycles + 2 && !session.lost.load(ordering: .relaxed)
            && monotonicNanoseconds() < deadline
        {
            sleepNanoseconds(1_000_000)
        }
    }

    // MARK: Supervisor thread

    private func supervise() {
        let initialDelay = nanoseconds(configuration.reconnectInitialDelay)
        let maximumDelay = nanoseconds(configuration.reconnectMaximumDelay)
        var delay = initialDelay
        var nextAttempt = monotonicNanoseconds() + delay
        var lostAt = monotonicNanoseconds()
        var attempts = 0
        // Connecting to a port whose client is not active yet fails: retry a few times after ports appear.
        var connectionRetries = 0
        var nextConnectionPass = UInt64.max
        while !stopRequested.load(ordering: .relaxed) {
            if let session = control.withLock({ $0.session }) {
                let now = monotonicNanoseconds()
                supervisorSignal.wait(
                    timeout: min(100_000_000, nextConnectionPass > now ? nextConnectionPass - now : 0))
                forwardLibjackMessages(quiet: false)
                if session.lost.load(ordering: .acquiring) {
                    let reason = session.lostReason
                    control.withLock {
                        $0.session = nil
                        $0.state = .reconnecting(reason)
                    }
                    logger.warning(
                        "JACK server went away; reconnecting",
                        metadata: ["server": "\(configuration.serverDisplayName)", "reason": "\(reason)"])
                    // Stopping meanwhile: leave the dead client to the process's exit rather than risk the hang.
                    guard closeLostSession(session) else { return }
                    forwardLibjackMessages(quiet: true)
                    delay = initialDelay
                    lostAt = monotonicNanoseconds()
                    nextAttempt = lostAt + delay
                    attempts = 0
                    nextConnectionPass = .max
                    continue
                }
                if session.portsAppeared.exchange(false, ordering: .acquiring) {
                    connectionRetries = 20
                    nextConnectionPass = 0
                }
                if monotonicNanoseconds() >= nextConnectionPass {
                    connectionRetries -= 1
                    let complete = applyConnections(session, firstTime: false, reportFailures: connectionRetries <= 0)
                    nextConnectionPass =
                        complete || connectionRetries <= 0 ? .max : monotonicNanoseconds() + 250_000_000
                }
                continue
            }
            let now = monotonicNanoseconds()
            if now < nextAttempt {
                supervisorSignal.wait(timeout: nextAttempt - now)
                continue
            }
            attempts += 1
            do {
                let session = try openSession()
                control.withLock {
                    $0.session = session
                    $0.state = .running
                }
                if !applyConnections(session, firstTime: true) {
                    session.portsAppeared.store(true, ordering: .releasing)
                }
                session.openInput()
                let seconds = Double(monotonicNanoseconds() - lostAt) / 1e9
                logger.info(
                    "JACK client active again",
                    metadata: [
                        "client": "\(session.clientName)", "server": "\(configuration.serverDisplayName)",
                        "outage_seconds": "\(seconds)", "attempts": "\(attempts)",
                    ])
            } catch {
                logger.debug("reconnect attempt failed: \(error.description)")
                control.withLock { $0.state = .reconnecting(error.description) }
                nextAttempt = monotonicNanoseconds() + delay
                delay = min(delay * 2, maximumDelay)
            }
            forwardLibjackMessages(quiet: true)
        }
    }

    /// Closes a client whose server went away, once libjack's notification thread has ended (at most 2 s
    /// later); false when `stop()` came first, leaving it open. `jack_client_close` cancels that thread, and
    /// cancelled while it handles another client's arrival or departure (other clients leave as the server shuts
    /// down) it dies holding libjack's global synchronization lock: the close, and every later client open,
    /// would then wait for ever. Seen once in 20 to 100 SIGTERMs to jackd while other clients quit with it.
    private func closeLostSession(_ session: JACKSession) -> Bool {
        let start = monotonicNanoseconds()
        let deadline = start + 2_000_000_000
        while !session.notificationThreadEnded && monotonicNanoseconds() < deadline {
            if stopRequested.load(ordering: .relaxed) { return false }
            sleepNanoseconds(5_000_000)
        }
        if !session.notificationThreadEnded {
            logger.warning("libjack's notification thread still runs 2 s after the server went away; closing anyway")
        }
        logger.debug("closing the lost client after waiting \((monotonicNanoseconds() - start) / 1_000_000) ms")
        jack_client_close(session.client)
        return true
    }

    /// Connects every port that a configured pattern matches (existing connections are kept). Returns false
    /// when a connection failed; failures are logged as warnings only when `reportFailures` is set.
    @discardableResult
    private func applyConnections(_ session: JACKSession, firstTime: Bool, reportFailures: Bool = false) -> Bool {
        var complete = true
        // Each of our ports to every other port its patterns match: sources for our inputs, destinations for
        // our outputs.
        func connectPorts(_ ours: [String], patterns: [[String]], among others: [String], oursAreInputs: Bool) {
            for (ours, patterns) in zip(ours, patterns) {
                for pattern in patterns {
                    let matches = PortPattern.validated(pattern).matches(in: others)
                    if matches.isEmpty && firstTime { logger.notice("no JACK port matches '\(pattern)' (yet)") }
                    for other in matches {
                        let (from, to) = oursAreInputs ? (other, ours) : (ours, other)
                        complete = connect(session, from: from, to: to, reportFailure: reportFailures) && complete
                    }
                }
            }
        }
        connectPorts(
            session.inputPortNames, patterns: configuration.audioInputs.map(\.connections),
            among: session.portNames(type: JACK_DEFAULT_AUDIO_TYPE, flags: JackPortIsOutput), oursAreInputs: true)
        // Never our own MIDI outputs: a loose pattern must not make MusicHal hear itself.
        let midiSources = session.portNames(type: JACK_DEFAULT_MIDI_TYPE, flags: JackPortIsOutput).filter {
            !$0.hasPrefix(session.clientName + ":")
        }
        connectPorts(
            session.midiInputPortNames, patterns: configuration.midiInputs.map(\.connections), among: midiSources,
            oursAreInputs: true)
        connectPorts(
            session.midiPortNames, patterns: configuration.midiOutputs.map(\.connections),
            among: session.portNames(type: JACK_DEFAULT_MIDI_TYPE, flags: JackPortIsInput), oursAreInputs: false)
        return complete
    }

    private func connect(_ session: JACKSession, from source: String, to destination: String, reportFailure: Bool)
        -> Bool
    {
        let result = jack_connect(session.client, source, destination)
        if result == 0 {
            logger.info("connected \(source) → \(destination)")
        } else if result != EEXIST {
            if reportFailure {
                logger.warning("cannot connect \(source) → \(destination) (error \(result))")
            } else {
                logger.debug("cannot connect \(source) → \(destination) yet (error \(result)); retrying")
            }
            return false
        }
        return true
    }

    /// What libjack prints whenever a client fails to reach a server: expected while one is away or being probed.
    private static let libjackNoise = [
        "Cannot connect to server", "jack server is not running", "JackShmReadWritePtr", "Cannot read socket",
        "Could not read result", "CheckRes error", "Cannot write socket", "JackSocketClientChannel read fail",
    ]

    /// Logs what libjack printed. `quiet` demotes everything to debug (connection noise while the server is
    /// away); otherwise errors are warnings and information is debug.
    private func forwardLibjackMessages(quiet: Bool) {
        jackMessageRelay.drain { kind, text in
            if quiet || kind == .info || Self.libjackNoise.contains(where: { text.contains($0) }) {
                logger.debug("libjack: \(text)")
            } else {
                logger.warning("libjack: \(text)")
            }
        }
    }
}

extension PortPattern {
    /// A pattern already checked by `JACKDeviceConfiguration.validate()`.
    static func validated(_ source: String) -> PortPattern {
        // validate() ran in JACKDevice.init, so this cannot fail; fall back to a pattern matching nothing.
        (try? PortPattern(source)) ?? PortPattern(unchecked: "(?!)")
    }

    private init(unchecked source: String) { self.source = source }
}
