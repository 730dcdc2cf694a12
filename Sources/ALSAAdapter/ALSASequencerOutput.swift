import CALSA
import Glibc
public import Logging
public import MusicHalCore
import Synchronization

/// The ALSA sequencer client MusicHal plays through: its name and ports.
public struct ALSASequencerConfiguration: Sendable, Hashable {
    /// Client name as `aconnect -l` shows it.
    public var clientName: String
    /// One port, or one per voice; `TimedMIDIMessage.port` selects it (an index beyond the list: the first).
    public var portNames: [String]
    /// The sequencer to open (`default` is the kernel sequencer, /dev/snd/seq).
    public var sequencerName: String

    /// Creates a configuration; the default is one port `out` on client `musichal`.
    public init(clientName: String = "musichal", portNames: [String] = ["out"], sequencerName: String = "default") {
        self.clientName = clientName
        self.portNames = portNames
        self.sequencerName = sequencerName
    }

    /// Checks names; throws the first problem.
    public func validate() throws(ALSAError) {
        guard !clientName.isEmpty, clientName.utf8.count < 64 else {
            throw .invalidConfiguration("sequencer client name must be 1-63 bytes")
        }
        guard !portNames.isEmpty, portNames.allSatisfy({ !$0.isEmpty && $0.utf8.count < 64 }) else {
            throw .invalidConfiguration("sequencer port names must be 1-63 bytes, at least one port")
        }
    }
}

/// MIDI output through the ALSA sequencer: a client with read-subscribable ports (visible to `aconnect`) that
/// sends every message to its port's subscribers, scheduled on a sequencer queue by real time.
///
/// Frames become queue times through an anchor: `synchronize(streamFrame:)` says "this frame is now" (the capture
/// thread calls it once per period); a message due at frame f is then queued `(f − anchor) / sampleRate − (time
/// since the anchor)` seconds ahead, or at once when that is not positive (counted late). Non-blocking: when the
/// kernel's pool is full the event is dropped and counted, never waited for. All members may be called from any
/// thread; calls are serialised internally.
public final class ALSASequencerOutput: MIDISink, Sendable {
    /// The configuration the output was created with.
    public let configuration: ALSASequencerConfiguration
    /// Sample rate of the frames in the messages.
    public let sampleRate: Double

    private struct Handle {
        var sequencer: OpaquePointer?
        var queue: Int32 = -1
        var ports: [Int32] = []
        var anchorFrame: FrameTime?
        var anchorNanoseconds: UInt64 = 0
        /// Monotonic time at which the latest queued event is due.
        var lastDueNanoseconds: UInt64 = 0
    }

    private let logger: Logger
    private let handle = Mutex(Handle())
    private let lateCount = Atomic<UInt64>(0)
    private let droppedCount = Atomic<UInt64>(0)

    /// Creates an output (nothing is opened until `open()`).
    public init(
        configuration: ALSASequencerConfiguration, sampleRate: Double,
        logger: Logger = Logger(label: "musichal.alsa.seq")
    ) throws(ALSAError) {
        try configuration.validate()
        guard sampleRate.isFinite, sampleRate > 0 else {
            throw .invalidConfiguration("sample rate \(sampleRate) is not positive")
        }
        self.configuration = configuration
        self.sampleRate = sampleRate
        self.logger = logger
    }

    /// Messages that were due before their turn came and went out at once.
    public var lateMessages: UInt64 { lateCount.load(ordering: .relaxed) }
    /// Messages the sequencer did not accept (pool full, or no sequencer open).
    public var droppedMessages: UInt64 { droppedCount.load(ordering: .relaxed) }

    /// The sequencer address of the client and its ports (`aconnect` numbers) while open.
    public var address: (client: Int, ports: [Int])? {
        handle.withLock { handle in
            guard let sequencer = handle.sequencer else { return nil }
            return (Int(snd_seq_client_id(sequencer)), handle.ports.map(Int.init))
        }
    }

    /// Opens the sequencer for output, names the client, creates the ports and starts a real-time queue. Throws
    /// `ALSAError.sequencerUnavailable` when there is no sequencer (no /dev/snd/seq: -ENOENT). Opening twice does
    /// nothing.
    public func open() throws {
        try handle.withLock { (handle: inout Handle) throws(ALSAError) in
            if handle.sequencer != nil { return }
            _ = alsaErrorPrinterSilenced
            var opened: OpaquePointer?
            let result = snd_seq_open(
                &opened, configuration.sequencerName, SND_SEQ_OPEN_OUTPUT, SND_SEQ_NONBLOCK)
            guard result >= 0, let sequencer = opened else {
                throw .sequencerUnavailable(
                    name: configuration.sequencerName, code: result, reason: String(cString: snd_strerror(result)))
            }
            do throws(ALSAError) {
                try check(snd_seq_set_client_name(sequencer, configuration.clientName), "client name")
                var ports: [Int32] = []
                for name in configuration.portNames {
                    let port = snd_seq_create_simple_port(
                        sequencer, name, UInt32(SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ),
                        UInt32(SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION))
                    try check(port, "port \(name)")
                    ports.append(port)
                }
                let queue = snd_seq_alloc_named_queue(sequencer, configuration.clientName)
                try check(queue, "queue")
                try check(musichal_seq_start_queue(sequencer, queue), "queue start")
                try check(snd_seq_drain_output(sequencer), "queue start")
                handle = Handle(sequencer: sequencer, queue: queue, ports: ports)
            } catch {
                snd_seq_close(sequencer)
                throw error
            }
        }
        logger.info("ALSA sequencer output open", metadata: ["client": "\(configuration.clientName)"])
    }

    /// Anchors the frame clock: `streamFrame` is happening now.
    public func synchronize(streamFrame: FrameTime) {
        let now = monotonicNanoseconds()
        handle.withLock {
            $0.anchorFrame = streamFrame
            $0.anchorNanoseconds = now
        }
    }

    /// Queues one message at the real time its frame maps to (see the type's description); without an anchor,
    /// the first message anchors the clock. Returns false when it was dropped. Call `flush()` to hand queued
    /// events to the kernel.
    @discardableResult
    public func schedule(_ message: TimedMIDIMessage) -> Bool {
        handle.withLock { handle in
            guard let sequencer = handle.sequencer else {
                droppedCount.wrappingAdd(1, ordering: .relaxed)
                return false
            }
            let now = monotonicNanoseconds()
            if handle.anchorFrame == nil {
                handle.anchorFrame = message.frame
                handle.anchorNanoseconds = now
            }
            let anchor = handle.anchorFrame ?? message.frame
            let dueSeconds =
                (Double(message.frame) - Double(anchor)) / sampleRate - Double(now - handle.anchorNanoseconds) / 1e9
            if dueSeconds < 0 { lateCount.wrappingAdd(1, ordering: .relaxed) }
            let delay = UInt64(max(0, dueSeconds) * 1e9)
            handle.lastDueNanoseconds = max(handle.lastDueNanoseconds, now + delay)
            let port = Int(message.port) < handle.ports.count ? handle.ports[Int(message.port)] : handle.ports[0]
            guard
                var event = SequencerEvent(
                    message: message.message, sourcePort: port, queue: handle.queue, delayNanoseconds: delay)
            else {
                droppedCount.wrappingAdd(1, ordering: .relaxed)
                return false
            }
            guard snd_seq_event_output(sequencer, &event.raw) >= 0 else {
                droppedCount.wrappingAdd(1, ordering: .relaxed)
                return false
            }
            return true
        }
    }

    /// Hands every queued event to the kernel sequencer.
    public func flush() throws {
        try handle.withLock { (handle: inout Handle) throws(ALSAError) in
            guard let sequencer = handle.sequencer else { throw .sequencerNotOpen }
            let result = snd_seq_drain_output(sequencer)
            // -EAGAIN: the kernel pool is full; what is left stays buffered for the next flush.
            if result < 0 && result != -EAGAIN {
                throw .sequencerSetupFailed(step: "drain output", reason: String(cString: snd_strerror(result)))
            }
        }
    }

    /// Schedules messages that are due (`MIDISink`), then flushes.
    public func send(_ messages: [TimedMIDIMessage]) throws {
        for message in messages { schedule(message) }
        try flush()
    }

    /// Flushes, lets the queued events play out, and closes the sequencer (`MIDISink`).
    public func finish(at frame: FrameTime) throws {
        defer { close() }
        if handle.withLock({ $0.sequencer }) != nil { try flush() }
    }

    /// Closes the sequencer client (its ports disappear from `aconnect`) once the events on its queue are due
    /// (waiting at most one second), so queued note-offs are not lost with the queue.
    public func close() {
        handle.withLock { handle in
            guard let sequencer = handle.sequencer else { return }
            snd_seq_drain_output(sequencer)
            let now = monotonicNanoseconds()
            if handle.lastDueNanoseconds > now {
                sleepNanoseconds(min(handle.lastDueNanoseconds - now, 1_000_000_000) + 2_000_000)
            }
            if handle.queue >= 0 { snd_seq_free_queue(sequencer, handle.queue) }
            snd_seq_close(sequencer)
            handle = Handle()
        }
    }

    private func check(_ result: Int32, _ step: String) throws(ALSAError) {
        if result < 0 { throw .sequencerSetupFailed(step: step, reason: String(cString: snd_strerror(result))) }
    }
}

/// Replaces alsa-lib's stderr error printer with a silent one, once per process: errors reach callers as codes.
let alsaErrorPrinterSilenced: Bool = {
    musichal_alsa_silence_errors()
    return true
}()
