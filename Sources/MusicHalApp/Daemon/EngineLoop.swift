import Dispatch
import Foundation
import Improviser
import Logging
import MIDICore
import ModelFormat
import MusicHalCore
import NeuralFeatures
import OracleCore
import RealtimeSupport
import Synchronization

/// The engine thread: takes input blocks from the device's ring, runs the engine, applies queued commands
/// between blocks, hands due MIDI to the device a little ahead of time, and publishes status snapshots.
///
/// Without an audio device (backend `none`) the stream clock follows the monotonic clock, so time-driven
/// behaviour (initiative, leases) still works and the daemon can be controlled and tested without a server.
final class EngineLoop: @unchecked Sendable {
    // @unchecked: `engine` and the loop's locals are touched only by the engine thread once it runs; other
    // threads use the atomics, the semaphores and the Mutex-protected snapshot.
    private let engine: ImprovisationEngine
    private let device: (any RealtimeAudioDevice)?
    private let commands: CommandQueue
    private let wake: EngineWakeup
    private let finished = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(false)
    private let heartbeatCounter = Atomic<UInt64>(0)
    private let snapshot = Mutex(StatusSnapshot())
    private let droppedMessages = Atomic<Int>(0)
    private let snapshotRequests = Mutex<[ModelSnapshotRequest]>([])
    private let sampleRate: Double
    private let logger = Logger(label: "musichal.engine")

    /// Routes a message to an output port (one port per voice when configured).
    private let route: @Sendable (TimedMIDIMessage) -> TimedMIDIMessage
    private let recorder: PerformanceRecorder?
    private let neural: LiveNeuralTokenizer?
    /// The input's recent audio, for the neural encoder (engine thread only).
    private var history: SampleHistory?
    private var neuralModelGeneration = -1
    private let neuralOffReason: String
    /// Phrases played, waiting for the status service to send and log their decision records.
    private let decisions = Mutex<[Phrase]>([])
    /// Decision records kept for a stalled status service before the oldest are dropped.
    static let decisionCapacity = 256

    /// Creates the loop; `wake` is what the device posts after each input block.
    init(
        engine: ImprovisationEngine, device: (any RealtimeAudioDevice)?, commands: CommandQueue, wake: EngineWakeup,
        recorder: PerformanceRecorder? = nil, neural: LiveNeuralTokenizer? = nil,
        neuralOffReason: String = "no neural checkpoint is configured",
        route: @escaping @Sendable (TimedMIDIMessage) -> TimedMIDIMessage = { $0 }
    ) {
        self.route = route
        self.neural = neural
        self.neuralOffReason = neuralOffReason
        // An event's token needs its audio from the onset: keep the longest event (8 s) and then some.
        history = neural.map { _ in SampleHistory(capacity: Int(10 * engine.sampleRate)) }
        self.recorder = recorder
        self.engine = engine
        self.device = device
        self.commands = commands
        self.wake = wake
        sampleRate = engine.sampleRate
    }

    /// Increments while the engine makes progress (the watchdog's evidence of life).
    var heartbeat: UInt64 { heartbeatCounter.load(ordering: .relaxed) }

    /// The latest status snapshot.
    var status: StatusSnapshot { snapshot.withLock { $0 } }

    /// MIDI messages dropped because the device's ring was full.
    var droppedMIDI: Int { droppedMessages.load(ordering: .relaxed) }

    /// A copy of the model as the engine has it now (with anything learned), taken on the engine thread; nil
    /// when none is loaded or the engine does not answer within `timeout` seconds. Blocks the caller (a
    /// background job), never the engine.
    func modelSnapshot(timeout: Double = 5) -> MusicHalModel? {
        guard running.load(ordering: .acquiring) else { return nil }
        let request = ModelSnapshotRequest()
        snapshotRequests.withLock { $0.append(request) }
        wake.signal()
        return request.wait(timeout: timeout)
    }

    /// Starts the engine thread; the startup panic goes out first (a crashed predecessor may have left notes on).
    func start() {
        guard !running.exchange(true, ordering: .acquiring) else { return }
        neural?.start()
        let thread = Thread { [self] in loop() }
        thread.name = "musichal-engine"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    /// Stops the thread after a final panic has been handed to the device.
    func stop() {
        guard running.exchange(false, ordering: .acquiring) else { return }
        wake.signal()
        finished.wait()
        neural?.stop()
    }

    private func loop() {
        var block = AudioBlock(startFrame: 0, sampleRate: sampleRate, samples: [])
        block.samples.reserveCapacity(4096)
        var midi: [TimedMIDIMessage] = []
        midi.reserveCapacity(256)
        let started = DispatchTime.now().uptimeNanoseconds
        send(engine.start(at: 0))
        var lastPublish: UInt64 = 0
        var streamStarts = device?.bridge.counters.streamStarts ?? 0
        while running.load(ordering: .acquiring) {
            wake.wait(milliseconds: 10)
            let now = engine.currentFrame
            for batch in commands.drain() {
                for command in batch { send(engine.apply(command, at: now)) }
            }
            // Hand the device exactly what falls due in its next cycle (one block long): the ring is first in,
            // first out, so anything handed over earlier would block an answer scheduled after it for sooner.
            var period: FrameTime = 256
            if let device {
                while device.bridge.input.pop(into: &block) {
                    // The first block of a new stream (the device reconnected): flush before anything else goes
                    // out. The synth may have kept notes the old connection began, and notes scheduled for the
                    // outage must not come out in a burst.
                    if device.bridge.counters.streamStarts != streamStarts {
                        streamStarts = device.bridge.counters.streamStarts
                        logger.notice("audio stream restarted: sending a panic")
                        send(engine.panic(at: block.startFrame))
                    }
                    history?.append(block)
                    device.bridge.midiInput.popAll(before: block.endFrame, into: &midi)
                    let activity = engine.process(block, midi: midi)
                    recorder?.heard(activity.events)
                    decided(activity.phrases)
                    handToEncoder(activity.audioEvents)
                    period = FrameTime(max(1, block.frameCount))
                }
            } else {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                decided(engine.advance(to: FrameTime(elapsed * sampleRate)).phrases)
            }
            takeTokens()
            send(engine.popDue(before: engine.currentFrame + period))
            // A freewheeling device waits for this before writing the next cycle's MIDI.
            device?.engineCaughtUp(through: engine.currentFrame)
            let requests = snapshotRequests.withLock { requests in
                let taken = requests
                requests.removeAll()
                return taken
            }
            for request in requests { request.fulfil(engine.improviser.model) }
            heartbeatCounter.wrappingAdd(1, ordering: .relaxed)
            let wall = DispatchTime.now().uptimeNanoseconds
            if wall - lastPublish > 50_000_000 {
                lastPublish = wall
                publish()
            }
        }
        // Shutdown: everything off, then leave the device one cycle to send it.
        send(engine.panic(at: engine.currentFrame))
        device?.engineCaughtUp(through: .max)
        publish()
        for request in snapshotRequests.withLock({ $0 }) { request.fulfil(nil) }
        finished.signal()
    }

    /// Phrases played since the last call (for `/hal/event/decision` and the decision log).
    func takeDecisions() -> [Phrase] {
        decisions.withLock { pending in
            let taken = pending
            pending.removeAll(keepingCapacity: true)
            return taken
        }
    }

    private func decided(_ phrases: [Phrase]) {
        guard !phrases.isEmpty else { return }
        decisions.withLock { pending in
            pending.append(contentsOf: phrases)
            if pending.count > Self.decisionCapacity { pending.removeFirst(pending.count - Self.decisionCapacity) }
        }
    }

    /// Gives each completed input event's audio to the neural tokenizer (when the model has a vocabulary the
    /// checkpoint can serve).
    private func handToEncoder(_ events: [MusicalEvent]) {
        guard let neural, let history, !events.isEmpty else { return }
        for event in events {
            let length = neural.window.eventFrames(durationFrames: Int(event.durationFrames), rate: sampleRate)
            neural.submit(
                onsetFrame: event.onsetFrame, samples: history.samples(from: event.onsetFrame, length: length),
                rate: sampleRate)
        }
    }

    /// Follows model changes, hands arrived tokens to the agent, and tells it whether tokens are live.
    private func takeTokens() {
        guard let neural else { return }
        if engine.modelGeneration != neuralModelGeneration {
            neuralModelGeneration = engine.modelGeneration
            neural.use(engine.improviser.model?.vocabulary, modelName: engine.modelName)
        }
        for result in neural.takeResults() { engine.hearToken(result.token, forEventAt: result.onsetFrame) }
        engine.setNeuralTokensLive(neural.health == .ok)
    }

    private func send(_ messages: [TimedMIDIMessage]) {
        guard !messages.isEmpty else { return }
        recorder?.sent(messages)
        guard let device else { return }
        for message in messages where !device.bridge.output.push(route(message)) {
            droppedMessages.wrappingAdd(1, ordering: .relaxed)
        }
    }

    private func publish() {
        let frame = engine.currentFrame
        let improviser = engine.improviser
        snapshot.withLock { status in
            status.mode = improviser.activeMode.rawValue
            status.model = engine.modelName ?? ""
            status.learning = improviser.isLearning
            status.transportRunning = engine.transportRunning
            status.inputLevelDB = engine.inputLevelDB
            status.onsetRate = engine.onsetRate(at: frame)
            status.inputPitch = engine.currentInputPitch ?? -1
            status.midiInputEvents = engine.midiEventCount
            status.oracleStates = improviser.model?.oracle.stateCount ?? 0
            status.oraclePosition = improviser.trackedState ?? -1
            status.activeNotes = engine.activeNoteCount
            status.frame = frame
            status.latencyMilliseconds = Double(engine.lastAnswerLatencyFrames) / sampleRate * 1000
            let health = neural?.health ?? .off(neuralOffReason)
            status.encoder = health.word
            status.encoderDetail = health.detail
            status.encoderTokens = neural?.counters.encoded ?? 0
            status.harmonyKey = improviser.harmony.keyName ?? ""
            status.harmonyChord = improviser.harmony.chordName ?? ""
            status.chordOverrideSeconds =
                improviser.harmony.overrideEnd.map { Double($0 - min($0, frame)) / sampleRate } ?? 0
            let arc = improviser.arc?.state(at: frame)
            status.arcPhase = arc?.phase.rawValue ?? "off"
            status.arcProgress = arc?.progress ?? 0
            if let device {
                status.xruns = device.bridge.counters.xruns
                status.dspLoad = Double(device.bridge.counters.dspLoad)
                status.droppedInputBlocks = device.bridge.counters.droppedInputBlocks
                status.lateMIDIMessages = device.bridge.counters.lateMessages
                switch device.state {
                case .running: status.audio = "running"
                case .reconnecting(let reason): status.audio = "reconnecting: \(reason)"
                case .idle: status.audio = "idle"
                case .stopped: status.audio = "stopped"
                }
            }
            let degraded = device.map { if case .running = $0.state { false } else { true } } ?? false
            status.state =
                degraded
                ? "degraded"
                : (!engine.transportRunning
                    ? "stopped"
                    : (engine.modelName == nil || improviser.activeMode == .listen
                        ? "listening" : "playing"))
        }
    }
}

/// One request for the engine's model: the engine thread fulfils it between blocks; the asking job waits.
final class ModelSnapshotRequest: Sendable {
    private let result = Mutex<MusicHalModel?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// Called once by the engine thread.
    func fulfil(_ model: MusicHalModel?) {
        result.withLock { $0 = model }
        done.signal()
    }

    /// The model, or nil after `timeout` seconds.
    func wait(timeout: Double) -> MusicHalModel? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return result.withLock { $0 }
    }
}
