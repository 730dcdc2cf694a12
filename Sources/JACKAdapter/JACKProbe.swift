import CJACK
import RealtimeSupport
import Synchronization

/// A JACK client that plays known test signals into audio output ports, plays queued MIDI from its MIDI output
/// ports (a keyboard), and records MIDI arriving at its input ports, stamped on the server's frame clock (`jack_last_frame_time` plus the event offset). The integration
/// tests use it as the musician and the synth around a `JACKDevice`; a diagnostic round-trip check could too.
///
/// Not part of the daemon's real-time path: its callback is not under RealtimeSanitizer scope.
final class JACKProbe: @unchecked Sendable {
    // @unchecked: the signal state is touched only by the process thread after activation; the rings are SPSC
    // (process thread produces, one reader consumes); everything else is immutable or atomic.

    /// What an audio output plays.
    enum Signal: Sendable {
        /// Zeros.
        case silence
        /// `scale × ((frame mod 2^20) / 2^20)` where `frame` is the server frame of the sample: every sample is
        /// exactly representable, so a receiver can tell which server frame it carries.
        case ramp(scale: Float)
        /// Rectangular bursts of `level` lasting `length` frames; the first starts `firstOnset` frames after the
        /// probe's first cycle, the next ones `spacing` + a pseudo-random 0..<`jitter` frames apart. Each burst's
        /// first frame is recorded in `onsets`.
        case steps(firstOnset: UInt32, spacing: UInt32, jitter: UInt32, length: UInt32, level: Float)
    }

    /// A MIDI event received on one of the probe's input ports.
    struct MIDIEvent: Sendable, Equatable, BitwiseCopyable {
        /// Server frame: the cycle's `jack_last_frame_time` plus the event's offset.
        var frame: UInt32
        /// Index of the probe's MIDI input port.
        var port: UInt8
        /// Number of bytes (at most 3 are kept).
        var length: UInt8
        var status: UInt8
        var data1: UInt8
        var data2: UInt8
    }

    /// Ramp values encode the server frame modulo this.
    static let rampPeriod: UInt32 = 1 << 20

    let client: OpaquePointer
    let clientName: String
    let audioOutputNames: [String]
    let midiInputNames: [String]
    let midiOutputNames: [String]
    /// MIDI to play, in frame order: each event goes out of output `port` at its server `frame` (an event already
    /// past goes out at the start of the next cycle). Producer: the test.
    let midiToSend = SPSCRing<MIDIEvent>(minimumCapacity: 1 << 12)
    /// Received MIDI, in arrival order (consumer: the test).
    let midiEvents = SPSCRing<MIDIEvent>(minimumCapacity: 1 << 16)
    /// Server frames at which step bursts began (consumer: the test).
    let onsets = SPSCRing<UInt32>(minimumCapacity: 1 << 12)

    private let signals: [Signal]
    private let audioPorts: [OpaquePointer]
    private let midiPorts: [OpaquePointer]
    private let midiOutputPorts: [OpaquePointer]
    private let lastCycleStartValue = Atomic<UInt32>(0)
    private let cycleCount = Atomic<UInt64>(0)
    private let framesPlayedCount = Atomic<UInt64>(0)
    private let shutDown = Atomic<Bool>(false)
    private var nextOnset: UInt32?
    private var burstEnd: UInt32 = 0
    private var random: UInt32 = 0x1234_5678

    /// Opens a client named `name` on `serverName` with one audio output per signal and `midiInputs` MIDI inputs
    /// (`out_1`..., `midi_in_1`...) and `midiOutputs` MIDI outputs (`midi_out_1`...). Call `activate()` to start it.
    init(name: String, serverName: String?, signals: [Signal], midiInputs: Int, midiOutputs: Int = 0)
        throws(JACKError)
    {
        _ = jackMessagePrintersInstalled
        var status = jack_status_t(rawValue: 0)
        guard let client = musichal_jack_client_open(name, serverName, &status) else {
            throw .serverUnavailable(server: serverName ?? "default", reason: JACKSession.describe(status))
        }
        var audio: [OpaquePointer] = []
        var midi: [OpaquePointer] = []
        for index in 0..<(signals.count + midiInputs) {
            let isAudio = index < signals.count
            let portName = isAudio ? "out_\(index + 1)" : "midi_in_\(index - signals.count + 1)"
            guard
                let port = jack_port_register(
                    client, portName, isAudio ? JACK_DEFAULT_AUDIO_TYPE : JACK_DEFAULT_MIDI_TYPE,
                    UInt((isAudio ? JackPortIsOutput : JackPortIsInput).rawValue), 0)
            else {
                jack_client_close(client)
                throw .portRegistrationFailed(port: portName)
            }
            if isAudio { audio.append(port) } else { midi.append(port) }
        }
        var midiOut: [OpaquePointer] = []
        for index in 0..<midiOutputs {
            guard
                let port = jack_port_register(
                    client, "midi_out_\(index + 1)", JACK_DEFAULT_MIDI_TYPE, UInt(JackPortIsOutput.rawValue), 0)
            else {
                jack_client_close(client)
                throw .portRegistrationFailed(port: "midi_out_\(index + 1)")
            }
            midiOut.append(port)
        }
        self.client = client
        clientName = String(cString: jack_get_client_name(client))
        self.signals = signals
        audioPorts = audio
        midiPorts = midi
        midiOutputPorts = midiOut
        midiOutputNames = midiOut.map { String(cString: jack_port_name($0)) }
        audioOutputNames = audio.map { String(cString: jack_port_name($0)) }
        midiInputNames = midi.map { String(cString: jack_port_name($0)) }
    }

    /// Installs the callbacks and activates the client.
    func activate() throws(JACKError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        jack_set_process_callback(
            client,
            { frames, context in
                Unmanaged<JACKProbe>.fromOpaque(context!).takeUnretainedValue().process(frames)
                return 0
            }, context)
        jack_on_info_shutdown(
            client,
            { _, _, context in
                Unmanaged<JACKProbe>.fromOpaque(context!).takeUnretainedValue().shutDown.store(
                    true, ordering: .relaxed)
            }, context)
        let result = jack_activate(client)
        guard result == 0 else {
            throw .activationFailed(client: clientName, reason: "jack_activate returned \(result)")
        }
    }

    /// Closes the client (also after the server went away). Call once.
    func close() { jack_client_close(client) }

    /// Connects two ports by full name; 0 or EEXIST on success.
    @discardableResult
    func connect(_ source: String, _ destination: String) -> Int32 { jack_connect(client, source, destination) }

    /// Full names of the ports connected to the port named `portName` (any client's).
    func connections(of portName: String) -> [String] {
        guard let port = jack_port_by_name(client, portName), let list = jack_port_get_all_connections(client, port)
        else { return [] }
        defer { jack_free(list) }
        var names: [String] = []
        var index = 0
        while let name = list[index] {
            names.append(String(cString: name))
            index += 1
        }
        return names
    }

    /// Starts or ends freewheeling: the whole graph then runs as fast as the CPU allows.
    @discardableResult
    func setFreewheel(_ on: Bool) -> Int32 { jack_set_freewheel(client, on ? 1 : 0) }

    /// Process cycles run so far.
    var cycles: UInt64 { cycleCount.load(ordering: .relaxed) }

    /// Frames played so far.
    var framesPlayed: UInt64 { framesPlayedCount.load(ordering: .relaxed) }

    /// True once the server shut the client down.
    var isShutDown: Bool { shutDown.load(ordering: .relaxed) }

    /// The server's sample rate.
    var sampleRate: Double { Double(jack_get_sample_rate(client)) }

    /// Server frame at which the latest cycle began.
    var lastCycleStart: UInt32 { lastCycleStartValue.load(ordering: .relaxed) }

    /// The server's period.
    var bufferSize: Int { Int(jack_get_buffer_size(client)) }

    private func process(_ frames: UInt32) {
        let cycleStart = jack_last_frame_time(client)
        for (index, port) in audioPorts.enumerated() {
            guard let raw = jack_port_get_buffer(port, frames) else { continue }
            let samples = raw.assumingMemoryBound(to: Float.self)
            switch signals[index] {
            case .silence:
                samples.update(repeating: 0, count: Int(frames))
            case .ramp(let scale):
                for offset in 0..<frames {
                    let phase = (cycleStart &+ offset) & (Self.rampPeriod - 1)
                    samples[Int(offset)] = scale * Float(phase) / Float(Self.rampPeriod)
                }
            case .steps(let firstOnset, let spacing, let jitter, let length, let level):
                if nextOnset == nil { nextOnset = cycleStart &+ firstOnset }
                for offset in 0..<frames {
                    let frame = cycleStart &+ offset
                    if let onset = nextOnset, Int32(bitPattern: frame &- onset) >= 0 {
                        _ = onsets.push(frame)
                        burstEnd = frame &+ length
                        random = random &* 1_664_525 &+ 1_013_904_223
                        nextOnset = frame &+ spacing &+ (jitter > 0 ? (random >> 8) % jitter : 0)
                    }
                    samples[Int(offset)] = Int32(bitPattern: frame &- burstEnd) < 0 ? level : 0
                }
            }
        }
        for (index, port) in midiPorts.enumerated() {
            guard let buffer = jack_port_get_buffer(port, frames) else { continue }
            let count = jack_midi_get_event_count(buffer)
            var event = jack_midi_event_t()
            for eventIndex in 0..<count where jack_midi_event_get(&event, buffer, eventIndex) == 0 {
                let size = min(event.size, 3)
                guard size > 0, let bytes = event.buffer else { continue }
                _ = midiEvents.push(
                    MIDIEvent(
                        frame: cycleStart &+ event.time, port: UInt8(index), length: UInt8(size), status: bytes[0],
                        data1: size > 1 ? bytes[1] : 0, data2: size > 2 ? bytes[2] : 0))
            }
        }
        var outputs: [UnsafeMutableRawPointer?] = []
        for port in midiOutputPorts {
            let buffer = jack_port_get_buffer(port, frames)
            if let buffer { jack_midi_clear_buffer(buffer) }
            outputs.append(buffer)
        }
        while let event = midiToSend.peek(), Int32(bitPattern: event.frame &- (cycleStart &+ frames)) < 0 {
            _ = midiToSend.pop()
            let late = Int32(bitPattern: event.frame &- cycleStart) < 0
            guard Int(event.port) < outputs.count, let buffer = outputs[Int(event.port)],
                let data = jack_midi_event_reserve(buffer, late ? 0 : event.frame &- cycleStart, Int(event.length))
            else { continue }
            data[0] = event.status
            if event.length > 1 { data[1] = event.data1 }
            if event.length > 2 { data[2] = event.data2 }
        }
        lastCycleStartValue.store(cycleStart, ordering: .relaxed)
        framesPlayedCount.wrappingAdd(UInt64(frames), ordering: .relaxed)
        cycleCount.wrappingAdd(1, ordering: .relaxed)
    }
}
