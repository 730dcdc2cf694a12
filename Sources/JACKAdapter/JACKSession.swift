import CJACK
import CRTCheck
import MusicHalCore
import RealtimeSupport
import Synchronization

/// The device's stream clock: frames processed since its first cycle, continuing across reconnects.
final class StreamClock: Sendable {
    /// First frame of the next cycle. Written by the process callback, or between sessions by the supervisor.
    let nextFrame = Atomic<UInt64>(0)
    /// Monotonic time at the start of the most recent cycle (0 before the first).
    let lastCycleNanoseconds = Atomic<UInt64>(0)
    /// Length of the most recent cycle.
    let lastCycleFrames = Atomic<UInt32>(0)
    /// MIDI messages discarded: no MIDI port, a full JACK MIDI buffer, or due before the stream restarted.
    let droppedMIDIMessages = Atomic<UInt64>(0)
}

/// One open JACK client: its ports, callbacks and the preallocated memory the process callback works in.
///
/// Created and closed by `JACKDevice` on normal threads. The callbacks reach it through an unretained
/// `Unmanaged` pointer; the device keeps the session alive until `jack_client_close` has returned.
final class JACKSession: @unchecked Sendable {
    // @unchecked: the scratch buffers belong to the process callback once the client is active (the warm-up
    // runs before activation); everything else is immutable or atomic.
    let client: OpaquePointer
    let clientName: String
    let sampleRate: Double
    let inputPortNames: [String]
    let midiPortNames: [String]
    let midiInputPortNames: [String]

    private let inputPorts: UnsafeMutablePointer<OpaquePointer?>
    private let inputCount: Int
    private let inputBuffers: UnsafeMutablePointer<UnsafePointer<Float>?>
    private let midiPorts: UnsafeMutablePointer<OpaquePointer?>
    private let midiCount: Int
    private let midiBuffers: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let midiLastOffsets: UnsafeMutablePointer<UInt32>
    private let midiInputPorts: UnsafeMutablePointer<OpaquePointer?>
    private let midiInputCount: Int
    private let mix: UnsafeMutablePointer<Float>
    private let silence: UnsafeMutablePointer<Float>
    private let warmUpBytes: UnsafeMutablePointer<UInt8>
    private let warmUpMessage = MIDIMessage.noteOff(channel: 0, note: 0)
    private let mixCapacity: Int
    private let inputGain: Float

    private let input: AudioBlockRing
    private let output: SPSCRing<TimedMIDIMessage>
    private let midiInput: SPSCRing<TimedMIDIMessage>
    private let counters: RealtimeCounters
    private let wakeEngine: @Sendable () -> Void
    private let clock: StreamClock
    private let supervisorSignal: WakeSignal
    private let handOff: FreewheelHandOff
    /// Process thread only: end of the last input block pushed to the engine.
    private var pushedThrough: UInt64 = 0
    /// Process thread only: the stream clock at this session's first cycle (nil before it). Messages due earlier
    /// were meant for a server that went away; the engine's panic for the new stream is due at or after it.
    private var streamStartFrame: UInt64?
    /// Process thread only: a freewheel wait ran out; skip waiting until the engine has caught up.
    private var engineStalled = false

    /// Set by `stop()`: the next cycles send every queued message, later ones at the cycle's last frame.
    let flushAll = Atomic<Bool>(false)
    /// Set by `stop()` after the last drained cycle: `jack_deactivate` disconnects the ports and may still run a
    /// cycle, whose silent input must not reach the engine.
    let inputClosed = Atomic<Bool>(false)
    /// Set by `openInput()` once the connections are applied; until then cycles push no input.
    private let inputOpen = Atomic<Bool>(false)
    /// Set by the shutdown callback when the server went away.
    let lost = Atomic<Bool>(false)
    /// Set when ports appeared on the server, so the supervisor re-applies the connection patterns.
    let portsAppeared = Atomic<Bool>(false)
    /// Kernel id of libjack's notification thread (0 until known), which delivers every callback but the process
    /// callback. Recorded by the thread-init callback, which libjack runs on the process thread as it starts and
    /// on the notification thread as the client activates.
    private let notificationThreadID = Atomic<Int32>(0)
    /// Set while the server freewheels (by the freewheel callback, on JACK's notification thread). A server
    /// that was already freewheeling when the client joined is not noticed until it toggles.
    let freewheeling = Atomic<Bool>(false)
    private let lostReasonText: UnsafeMutablePointer<CChar>
    private static let reasonBytes = 256

    /// Opens a client, registers its ports, installs the callbacks and warms the process path up; `activate()`
    /// starts the callbacks.
    init(
        configuration: JACKDeviceConfiguration, bridge: RealtimeBridge, clock: StreamClock,
        supervisorSignal: WakeSignal, handOff: FreewheelHandOff
    ) throws(JACKError) {
        _ = jackMessagePrintersInstalled
        var status = jack_status_t(rawValue: 0)
        guard
            let client = musichal_jack_client_open(
                configuration.clientName, configuration.serverName, &status)
        else {
            throw .serverUnavailable(server: configuration.serverDisplayName, reason: Self.describe(status))
        }
        let name = String(cString: jack_get_client_name(client))
        // Ports first, into locals: a refused port closes the client before any memory is allocated.
        var inputHandles: [OpaquePointer] = []
        var midiHandles: [OpaquePointer] = []
        var midiInputHandles: [OpaquePointer] = []
        let ports =
            configuration.audioInputs.map { ($0.name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput) }
            + configuration.midiOutputs.map { ($0.name, JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput) }
            + configuration.midiInputs.map { ($0.name, JACK_DEFAULT_MIDI_TYPE, JackPortIsInput) }
        for (portName, type, direction) in ports {
            guard let handle = jack_port_register(client, portName, type, UInt(direction.rawValue), 0) else {
                jack_client_close(client)
                throw .portRegistrationFailed(port: "\(name):\(portName)")
            }
            if direction == JackPortIsOutput {
                midiHandles.append(handle)
            } else if type == JACK_DEFAULT_MIDI_TYPE {
                midiInputHandles.append(handle)
            } else {
                inputHandles.append(handle)
            }
        }

        self.client = client
        clientName = name
        sampleRate = Double(jack_get_sample_rate(client))
        inputPortNames = inputHandles.map { String(cString: jack_port_name($0)) }
        midiPortNames = midiHandles.map { String(cString: jack_port_name($0)) }
        midiInputPortNames = midiInputHandles.map { String(cString: jack_port_name($0)) }
        inputCount = inputHandles.count
        midiCount = midiHandles.count
        inputPorts = .allocate(capacity: max(1, inputCount))
        inputPorts.initialize(repeating: nil, count: max(1, inputCount))
        for (index, handle) in inputHandles.enumerated() { inputPorts[index] = handle }
        inputBuffers = .allocate(capacity: max(1, inputCount))
        inputBuffers.initialize(repeating: nil, count: max(1, inputCount))
        midiPorts = .allocate(capacity: max(1, midiCount))
        midiPorts.initialize(repeating: nil, count: max(1, midiCount))
        for (index, handle) in midiHandles.enumerated() { midiPorts[index] = handle }
        midiBuffers = .allocate(capacity: max(1, midiCount))
        midiBuffers.initialize(repeating: nil, count: max(1, midiCount))
        midiLastOffsets = .allocate(capacity: max(1, midiCount))
        midiLastOffsets.initialize(repeating: 0, count: max(1, midiCount))
        midiInputCount = midiInputHandles.count
        midiInputPorts = .allocate(capacity: max(1, midiInputCount))
        midiInputPorts.initialize(repeating: nil, count: max(1, midiInputCount))
        for (index, handle) in midiInputHandles.enumerated() { midiInputPorts[index] = handle }
        mixCapacity = bridge.input.maxBlockFrames
        mix = .allocate(capacity: mixCapacity)
        mix.initialize(repeating: 0, count: mixCapacity)
        silence = .allocate(capacity: mixCapacity)
        silence.initialize(repeating: 0, count: mixCapacity)
        warmUpBytes = .allocate(capacity: 4)
        warmUpBytes.initialize(repeating: 0, count: 4)
        lostReasonText = .allocate(capacity: Self.reasonBytes)
        lostReasonText.initialize(repeating: 0, count: Self.reasonBytes)
        inputGain = inputCount > 1 ? 1 / Float(inputCount) : 1
        input = bridge.input
        output = bridge.output
        midiInput = bridge.midiInput
        counters = bridge.counters
        wakeEngine = bridge.wakeEngine
        self.clock = clock
        self.supervisorSignal = supervisorSignal
        self.handOff = handOff

        do throws(JACKError) {
            try installCallbacks()
            // Instantiates generic metadata and lazy globals on this thread, so the first real cycle allocates
            // nothing (platform.md §10).
            runCycle(frameCount: UInt32(mixCapacity), warmUp: true)
        } catch {
            jack_client_close(client)
            throw error
        }
    }

    /// Starts pushing input blocks from the next cycle on, as a new stream (`RealtimeCounters.streamStarts`).
    /// Called once the connections are applied: the engine answers a new stream with a panic, which must reach the
    /// synth the configuration connects (it may have outlived the previous server with notes still down).
    func openInput() {
        counters.countStreamStart()
        inputOpen.store(true, ordering: .releasing)
    }

    /// True once libjack's notification thread has ended, or when it was never seen. After the server went away
    /// it ends as soon as it reads the end of the server's socket, having handled every notification before it.
    var notificationThreadEnded: Bool {
        let id = notificationThreadID.load(ordering: .acquiring)
        return id == 0 || access("/proc/self/task/\(id)", F_OK) != 0
    }

    /// Starts the callbacks; closes the client and throws when the server refuses.
    func activate() throws(JACKError) {
        let result = jack_activate(client)
        guard result == 0 else {
            jack_client_close(client)
            throw .activationFailed(client: clientName, reason: "jack_activate returned \(result)")
        }
    }

    deinit {
        inputPorts.deallocate()
        inputBuffers.deallocate()
        midiPorts.deallocate()
        midiBuffers.deallocate()
        midiLastOffsets.deallocate()
        midiInputPorts.deallocate()
        mix.deallocate()
        silence.deallocate()
        warmUpBytes.deallocate()
        lostReasonText.deallocate()
    }

    private func installCallbacks() throws(JACKError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        var failures: [String] = []
        let process = jack_set_process_callback(
            client,
            { frameCount, context in
                rt_scope_begin()
                Unmanaged<JACKSession>.fromOpaque(context!).takeUnretainedValue()
                    .runCycle(frameCount: frameCount, warmUp: false)
                rt_scope_end()
                return 0
            }, context)
        if process != 0 { failures.append("process") }
        let xrun = jack_set_xrun_callback(
            client,
            { context in
                Unmanaged<JACKSession>.fromOpaque(context!).takeUnretainedValue().counters.countXrun()
                return 0
            }, context)
        if xrun != 0 { failures.append("xrun") }
        let registration = jack_set_port_registration_callback(
            client,
            { _, registered, context in
                guard registered != 0 else { return }
                let session = Unmanaged<JACKSession>.fromOpaque(context!).takeUnretainedValue()
                session.portsAppeared.store(true, ordering: .releasing)
                session.supervisorSignal.signal()
            }, context)
        if registration != 0 { failures.append("port registration") }
        let freewheel = jack_set_freewheel_callback(
            client,
            { starting, context in
                Unmanaged<JACKSession>.fromOpaque(context!).takeUnretainedValue().freewheeling.store(
                    starting != 0, ordering: .relaxed)
            }, context)
        if freewheel != 0 { failures.append("freewheel") }
        let threadInit = jack_set_thread_init_callback(
            client,
            { context in
                let session = Unmanaged<JACKSession>.fromOpaque(context!).takeUnretainedValue()
                if pthread_equal(pthread_self(), jack_client_thread_id(session.client)) == 0 {
                    session.notificationThreadID.store(musichal_thread_id(), ordering: .releasing)
                }
            }, context)
        if threadInit != 0 { failures.append("thread init") }
        // May run on the process thread as the server disappears: it only copies, stores and posts.
        jack_on_info_shutdown(
            client,
            { _, reason, context in
                Unmanaged<JACKSession>.fromOpaque(context!).takeUnretainedValue().markLost(reason: reason)
            }, context)
        guard failures.isEmpty else {
            throw .activationFailed(
                client: clientName, reason: "cannot install \(failures.joined(separator: ", ")) callback")
        }
    }

    // MARK: Real-time path

    /// One process cycle. Real-time safe: touches only preallocated memory, atomics and the SPSC rings.
    /// `warmUp` runs the same Swift code over silent scratch buffers without touching JACK, the rings'
    /// contents, the clock or the counters.
    private func runCycle(frameCount: UInt32, warmUp: Bool) {
        let frames = Int(frameCount)
        let cycleNanoseconds = monotonicNanoseconds()
        let cycleStart = clock.nextFrame.load(ordering: .relaxed)
        let cycleEnd = cycleStart &+ UInt64(frames)

        var port = 0
        while port < inputCount {
            if warmUp {
                inputBuffers[port] = UnsafePointer(silence)
            } else {
                if let buffer = jack_port_get_buffer(inputPorts[port], frameCount) {
                    inputBuffers[port] = UnsafePointer(buffer.assumingMemoryBound(to: Float.self))
                } else {
                    inputBuffers[port] = nil
                }
            }
            port += 1
        }
        port = 0
        while port < midiCount {
            if warmUp {
                midiBuffers[port] = nil
            } else {
                let buffer = jack_port_get_buffer(midiPorts[port], frameCount)
                if let buffer { jack_midi_clear_buffer(buffer) }
                midiBuffers[port] = buffer
            }
            midiLastOffsets[port] = 0
            port += 1
        }

        // MIDI input first: when the engine pops this cycle's block, the cycle's MIDI is already in its ring.
        let pushInput = !warmUp && inputOpen.load(ordering: .acquiring) && !inputClosed.load(ordering: .relaxed)
        let pushedBefore = pushedThrough
        if warmUp {
            // Instantiates the decoder's code path before the first real cycle.
            _ = MIDIMessage(wire: UnsafeBufferPointer(start: UnsafePointer(warmUpBytes), count: 3))
        } else if pushInput {
            readMIDIInputs(frameCount: frameCount, cycleStart: cycleStart)
        }

        // Input: the mono mix, pushed in blocks of at most the ring's block size.
        var offset = 0
        while offset < frames {
            let count = min(frames - offset, mixCapacity)
            mixInputs(from: offset, count: count)
            if pushInput {
                let block = UnsafeBufferPointer(start: UnsafePointer(mix), count: count)
                if input.push(startFrame: cycleStart &+ UInt64(offset), samples: block) {
                    pushedThrough = cycleStart &+ UInt64(offset + count)
                } else {
                    counters.countDroppedInputBlock()
                }
            }
            offset += count
        }
        if pushInput && frames > 0 { wakeEngine() }
        if !warmUp && freewheeling.load(ordering: .relaxed) { waitForEngineWhileFreewheeling(through: pushedBefore) }

        // Output: every message due before the cycle's end, at its frame offset (late ones at offset 0).
        let flushing = flushAll.load(ordering: .relaxed)
        if warmUp { writeBytes(of: warmUpMessage, to: warmUpBytes) }
        if !warmUp && streamStartFrame == nil { streamStartFrame = cycleStart }
        let staleBefore = streamStartFrame ?? 0
        while let message = output.peek() {
            if warmUp || (message.frame >= cycleEnd && !flushing) { break }
            _ = output.pop()
            guard midiCount > 0, frames > 0, message.frame >= staleBefore else {
                clock.droppedMIDIMessages.wrappingAdd(1, ordering: .relaxed)
                continue
            }
            var eventOffset: UInt32
            if message.frame < cycleStart {
                eventOffset = 0
                counters.countLateMessage()
            } else if message.frame >= cycleEnd {
                eventOffset = frameCount - 1
            } else {
                eventOffset = UInt32(truncatingIfNeeded: message.frame &- cycleStart)
            }
            let target = Int(message.port) < midiCount ? Int(message.port) : 0
            // JACK rejects events earlier than the previous one on a port; keep the port's order.
            if eventOffset < midiLastOffsets[target] { eventOffset = midiLastOffsets[target] }
            guard let buffer = midiBuffers[target],
                let data = jack_midi_event_reserve(buffer, eventOffset, Int(message.message.length))
            else {
                clock.droppedMIDIMessages.wrappingAdd(1, ordering: .relaxed)
                continue
            }
            writeBytes(of: message.message, to: data)
            midiLastOffsets[target] = eventOffset
        }

        if warmUp { return }
        counters.setDSPLoad(jack_cpu_load(client))
        counters.countCycle()
        clock.lastCycleNanoseconds.store(cycleNanoseconds, ordering: .relaxed)
        clock.lastCycleFrames.store(frameCount, ordering: .relaxed)
        clock.nextFrame.store(cycleEnd, ordering: .relaxed)
    }

    /// Freewheel only: waits until the engine has consumed every block pushed before this cycle, so the output
    /// ring holds all of this cycle's MIDI (see `FreewheelHandOff`). This cycle's block was pushed first, so the
    /// engine may already work on it meanwhile.
    private func waitForEngineWhileFreewheeling(through frame: UInt64) {
        if engineStalled {
            engineStalled = !handOff.engineHasConsumed(through: frame)
            return
        }
        // JACK runs this thread without real-time priority while freewheeling: blocking is allowed here, and only
        // here, so the wait is outside the real-time scope that RealtimeSanitizer checks.
        rt_scope_end()
        engineStalled = !handOff.waitForEngine(through: frame)
        rt_scope_begin()
    }

    /// Decodes every channel message on the MIDI inputs into the bridge's MIDI input ring, stamped with its frame
    /// (ports one after the other; within a port JACK keeps time order). Other messages (sysex, clock) are skipped.
    @inline(__always)
    private func readMIDIInputs(frameCount: UInt32, cycleStart: UInt64) {
        var port = 0
        while port < midiInputCount {
            if let buffer = jack_port_get_buffer(midiInputPorts[port], frameCount) {
                let count = jack_midi_get_event_count(buffer)
                var event = jack_midi_event_t()
                var index: UInt32 = 0
                while index < count {
                    if jack_midi_event_get(&event, buffer, index) == 0, let bytes = event.buffer,
                        let message = MIDIMessage(wire: UnsafeBufferPointer(start: bytes, count: event.size)),
                        !midiInput.push(
                            TimedMIDIMessage(
                                frame: cycleStart &+ UInt64(event.time), port: UInt8(truncatingIfNeeded: port),
                                message: message))
                    {
                        counters.countDroppedMIDIInput()
                    }
                    index += 1
                }
            }
            port += 1
        }
    }

    /// Averages the input ports' samples `offset ..< offset + count` into `mix`.
    @inline(__always)
    private func mixInputs(from offset: Int, count: Int) {
        var index = 0
        if inputCount == 0 {
            while index < count {
                mix[index] = 0
                index += 1
            }
            return
        }
        var port = 0
        while port < inputCount {
            var source = UnsafePointer(silence)
            if let buffer = inputBuffers[port] { source = buffer + offset }
            index = 0
            if port == 0 {
                while index < count {
                    mix[index] = source[index]
                    index += 1
                }
            } else {
                while index < count {
                    mix[index] += source[index]
                    index += 1
                }
            }
            port += 1
        }
        if inputGain != 1 {
            index = 0
            while index < count {
                mix[index] *= inputGain
                index += 1
            }
        }
    }

    @inline(__always)
    private func writeBytes(of message: MIDIMessage, to data: UnsafeMutablePointer<UInt8>) {
        data[0] = message.status
        data[1] = message.data1
        if message.length > 2 { data[2] = message.data2 }
    }

    // MARK: Notification callbacks and control

    /// Records why the server went away and wakes the supervisor. Copies into preallocated memory only.
    private func markLost(reason: UnsafePointer<CChar>?) {
        if lost.load(ordering: .relaxed) { return }
        var length = 0
        if let reason {
            while length < Self.reasonBytes - 1 && reason[length] != 0 {
                lostReasonText[length] = reason[length]
                length += 1
            }
        }
        lostReasonText[length] = 0
        lost.store(true, ordering: .releasing)
        supervisorSignal.signal()
    }

    /// The server's reason for shutting the client down (valid once `lost` is set).
    var lostReason: String {
        let text = String(cString: lostReasonText)
        return text.isEmpty ? "JACK server shut down" : text
    }

    /// Full names of ports of `type` whose direction is `flags`, as the server lists them now.
    func portNames(type: String, flags: JackPortFlags) -> [String] {
        guard let list = jack_get_ports(client, nil, type, UInt(flags.rawValue)) else { return [] }
        defer { jack_free(list) }
        var names: [String] = []
        var index = 0
        while let name = list[index] {
            names.append(String(cString: name))
            index += 1
        }
        return names
    }

    /// A readable list of the bits set in a `jack_status_t`.
    static func describe(_ status: jack_status_t) -> String {
        let bits: [(JackStatus, String)] = [
            (JackServerFailed, "server not running or unreachable"),
            (JackServerError, "communication error with the server"),
            (JackNameNotUnique, "client name not unique"),
            (JackInvalidOption, "invalid option"),
            (JackNoSuchClient, "no such client"),
            (JackLoadFailure, "cannot load internal client"),
            (JackInitFailure, "cannot initialise client"),
            (JackShmFailure, "cannot access shared memory"),
            (JackVersionError, "client protocol version mismatch"),
            (JackBackendError, "backend error"),
            (JackClientZombie, "client zombified"),
        ]
        let reasons = bits.filter { status.rawValue & $0.0.rawValue != 0 }.map(\.1)
        let hex = String(status.rawValue, radix: 16)
        return (reasons.isEmpty ? "failure" : reasons.joined(separator: ", ")) + " (status 0x\(hex))"
    }
}
