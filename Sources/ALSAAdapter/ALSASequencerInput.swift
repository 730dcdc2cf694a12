import CALSA
import Glibc
public import Logging
public import MusicHalCore
public import RealtimeSupport
import Synchronization

/// The ALSA sequencer client a keyboard plays into: its name, port and the sources subscribed at start.
public struct ALSASequencerInputConfiguration: Sendable, Hashable {
    /// Client name as `aconnect -l` shows it.
    public var clientName: String
    /// Name of the write-subscribable port (`aconnect KEYBOARD musichal-in:0` connects to it).
    public var portName: String
    /// Sources connected to the port at start, as `aconnect` names them: `CLIENT:PORT` by number or name
    /// (e.g. `20:0`, `Keystation 49:0`). A source that is missing is logged and skipped.
    public var connections: [String]
    /// The sequencer to open (`default` is the kernel sequencer, /dev/snd/seq).
    public var sequencerName: String

    /// Creates a configuration; the default is a port `in` on client `musichal-in`, connected to nothing.
    public init(
        clientName: String = "musichal-in", portName: String = "in", connections: [String] = [],
        sequencerName: String = "default"
    ) {
        self.clientName = clientName
        self.portName = portName
        self.connections = connections
        self.sequencerName = sequencerName
    }

    /// Checks names; throws the first problem.
    public func validate() throws(ALSAError) {
        guard !clientName.isEmpty, clientName.utf8.count < 64 else {
            throw .invalidConfiguration("sequencer client name must be 1-63 bytes")
        }
        guard !portName.isEmpty, portName.utf8.count < 64 else {
            throw .invalidConfiguration("sequencer input port name must be 1-63 bytes")
        }
        if let empty = connections.firstIndex(where: \.isEmpty) {
            throw .invalidConfiguration("sequencer input connection \(empty + 1) is empty")
        }
    }
}

/// MIDI input through the ALSA sequencer: a client with one write-subscribable port (visible to `aconnect`) whose
/// channel messages are stamped on the stream clock and pushed into the bridge's `midiInput` ring.
///
/// A worker thread waits on the sequencer's poll descriptors and reads every event as it arrives; each is stamped
/// with the frame the owner's clock says is now (the capture device's stream frame, extrapolated since its last
/// period), so keyboard and audio share one clock. Events the ring cannot take, and events the kernel lost to an
/// input overrun, are counted as dropped MIDI input. `open()` throws `ALSAError.sequencerUnavailable` when there is
/// no sequencer (-ENOENT without /dev/snd/seq). Call `open`, `start`, `stop` and `close` from one thread.
public final class ALSASequencerInput: Sendable {
    /// The configuration the input was created with.
    public let configuration: ALSASequencerInputConfiguration

    private struct Handle: @unchecked Sendable {
        // @unchecked: the sequencer pointer is used by the worker thread alone while it runs, by `open`/`close`
        // otherwise; the Mutex orders those hand-overs.
        var sequencer: OpaquePointer?
        var port: Int32 = -1
        var thread: WorkerThread?
    }

    private let logger: Logger
    private let handle = Mutex(Handle())
    private let stopRequested = Atomic<Bool>(false)
    private let receivedCount = Atomic<UInt64>(0)

    /// Creates an input (nothing is opened until `open()`); checks the configuration.
    public init(
        configuration: ALSASequencerInputConfiguration, logger: Logger = Logger(label: "musichal.alsa.seq.in")
    ) throws(ALSAError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
    }

    /// Channel messages received so far.
    public var receivedMessages: UInt64 { receivedCount.load(ordering: .relaxed) }

    /// The sequencer address of the client and its port (`aconnect` numbers) while open.
    public var address: (client: Int, port: Int)? {
        handle.withLock { handle in
            guard let sequencer = handle.sequencer else { return nil }
            return (Int(snd_seq_client_id(sequencer)), Int(handle.port))
        }
    }

    /// Opens the sequencer for input, names the client, creates the port and subscribes the configured sources.
    /// Opening twice does nothing.
    public func open() throws {
        try handle.withLock { (handle: inout Handle) throws(ALSAError) in
            if handle.sequencer != nil { return }
            _ = alsaErrorPrinterSilenced
            var opened: OpaquePointer?
            let result = snd_seq_open(&opened, configuration.sequencerName, SND_SEQ_OPEN_INPUT, SND_SEQ_NONBLOCK)
            guard result >= 0, let sequencer = opened else {
                throw .sequencerUnavailable(
                    name: configuration.sequencerName, code: result, reason: String(cString: snd_strerror(result)))
            }
            let port = snd_seq_create_simple_port(
                sequencer, configuration.portName, UInt32(SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE),
                UInt32(SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION))
            let named = snd_seq_set_client_name(sequencer, configuration.clientName)
            guard named >= 0, port >= 0 else {
                snd_seq_close(sequencer)
                throw .sequencerSetupFailed(
                    step: named < 0 ? "client name" : "port \(configuration.portName)",
                    reason: String(cString: snd_strerror(min(named, port))))
            }
            for source in configuration.connections {
                var address = snd_seq_addr_t()
                let parsed = snd_seq_parse_address(sequencer, &address, source)
                let connected =
                    parsed < 0
                    ? parsed
                    : snd_seq_connect_from(
                        sequencer, port, Int32(address.client), Int32(address.port))
                if connected < 0 {
                    logger.warning(
                        "cannot connect ALSA MIDI source '\(source)': \(String(cString: snd_strerror(connected)))")
                }
            }
            handle.sequencer = sequencer
            handle.port = port
        }
        logger.info("ALSA sequencer input open", metadata: ["client": "\(configuration.clientName)"])
    }

    /// Starts reading into `bridge.midiInput`, stamping each message with `clock()` (the stream frame now).
    /// Throws `ALSAError.sequencerNotOpen` before `open()`. Does nothing when already reading.
    public func start(into bridge: RealtimeBridge, clock: @escaping @Sendable () -> FrameTime) throws {
        try handle.withLock { (handle: inout Handle) throws(ALSAError) in
            guard let sequencer = handle.sequencer else { throw .sequencerNotOpen }
            if handle.thread != nil { return }
            stopRequested.store(false, ordering: .relaxed)
            let box = SequencerBox(sequencer)
            handle.thread = WorkerThread(name: "musichal-alsa-midi-in") { [self] in
                read(box.sequencer, bridge: bridge, clock: clock)
            }
        }
    }

    /// Stops reading (within 50 ms); the port stays, so `start` may follow again.
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        let thread = handle.withLock { handle in
            defer { handle.thread = nil }
            return handle.thread
        }
        thread?.join()
    }

    /// Stops reading and closes the client: its port disappears from `aconnect`.
    public func close() {
        stop()
        handle.withLock { handle in
            if let sequencer = handle.sequencer { snd_seq_close(sequencer) }
            handle = Handle()
        }
    }

    /// Hands the sequencer pointer to the worker thread.
    private final class SequencerBox: @unchecked Sendable {
        // @unchecked: read-only after creation; the pointer is used by the worker alone while it runs.
        let sequencer: OpaquePointer
        init(_ sequencer: OpaquePointer) { self.sequencer = sequencer }
    }

    private func read(_ sequencer: OpaquePointer, bridge: RealtimeBridge, clock: @Sendable () -> FrameTime) {
        let descriptorCount = max(1, Int(snd_seq_poll_descriptors_count(sequencer, Int16(POLLIN))))
        let descriptors = UnsafeMutablePointer<pollfd>.allocate(capacity: descriptorCount)
        defer { descriptors.deallocate() }
        let filled = snd_seq_poll_descriptors(sequencer, descriptors, UInt32(descriptorCount), Int16(POLLIN))
        while !stopRequested.load(ordering: .relaxed) {
            // Short waits, so stop() is answered quickly.
            guard poll(descriptors, nfds_t(filled), 50) > 0 else { continue }
            while true {
                var event: UnsafeMutablePointer<snd_seq_event_t>?
                let remaining = snd_seq_event_input(sequencer, &event)
                if remaining == -ENOSPC {
                    // The kernel's input pool overflowed: events were lost.
                    bridge.counters.countDroppedMIDIInput()
                    continue
                }
                guard remaining >= 0, let event else { break }
                guard let message = SequencerEvent(raw: event.pointee).midiMessage else { continue }
                receivedCount.wrappingAdd(1, ordering: .relaxed)
                if !bridge.midiInput.push(TimedMIDIMessage(frame: clock(), message: message)) {
                    bridge.counters.countDroppedMIDIInput()
                }
            }
        }
    }
}

extension SequencerEvent {
    /// The channel message a received event carries, or nil for anything else (subscriptions, clock, sysex, a
    /// field out of range). Note On with velocity 0 becomes Note Off, as `MIDIMessage(wire:)` decodes it.
    var midiMessage: MIDIMessage? {
        let type = UInt32(raw.type)
        let status: UInt8
        var data1: Int64
        var data2: Int64 = 0
        switch type {
        case SND_SEQ_EVENT_NOTEON.rawValue, SND_SEQ_EVENT_NOTEOFF.rawValue:
            guard raw.data.note.channel < 16 else { return nil }
            status = (type == SND_SEQ_EVENT_NOTEON.rawValue ? 0x90 : 0x80) | raw.data.note.channel
            data1 = Int64(raw.data.note.note)
            data2 = Int64(raw.data.note.velocity)
        case SND_SEQ_EVENT_CONTROLLER.rawValue, SND_SEQ_EVENT_PGMCHANGE.rawValue, SND_SEQ_EVENT_CHANPRESS.rawValue,
            SND_SEQ_EVENT_PITCHBEND.rawValue:
            guard raw.data.control.channel < 16 else { return nil }
            let channel = raw.data.control.channel
            let value = Int64(raw.data.control.value)
            switch type {
            case SND_SEQ_EVENT_CONTROLLER.rawValue:
                status = 0xB0 | channel
                data1 = Int64(raw.data.control.param)
                data2 = value
            case SND_SEQ_EVENT_PGMCHANGE.rawValue:
                status = 0xC0 | channel
                data1 = value
            case SND_SEQ_EVENT_CHANPRESS.rawValue:
                status = 0xD0 | channel
                data1 = value
            default:
                // ALSA centres pitch bend on 0 (-8192...8191); MIDI's 14-bit value on 8192.
                let bend = value + 8192
                guard (0..<16384).contains(bend) else { return nil }
                status = 0xE0 | channel
                data1 = bend & 0x7F
                data2 = bend >> 7
            }
        default:
            return nil
        }
        guard (0..<128).contains(data1), (0..<128).contains(data2) else { return nil }
        let bytes = [status, UInt8(data1), UInt8(data2)]
        return bytes.withUnsafeBufferPointer { MIDIMessage(wire: $0) }
    }
}
