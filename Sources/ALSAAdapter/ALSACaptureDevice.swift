import CALSA
import Glibc
public import Logging
public import MusicHalCore
public import RealtimeSupport
import Synchronization

/// Audio input from an ALSA PCM: a capture thread doing blocking `snd_pcm_readi` of one period at a time, mixing
/// the channels to mono and pushing each block, stamped on the stream clock, into the bridge.
///
/// Overruns are recovered with `snd_pcm_recover` and counted as xruns; the clock then advances by the time lost,
/// measured on the monotonic clock. A device that fails for good (unplugged) is reopened with backoff while the
/// state says `.reconnecting`. When a sequencer output is given, the capture thread also drains the bridge's MIDI
/// ring into it once per period, anchoring frames to real time at each block's end. Without one, due messages are
/// discarded so the engine never finds the ring full. A sequencer input, when given, reads a keyboard into the
/// bridge's MIDI input ring on its own thread, stamped with `estimatedStreamFrame`. Call `start()` and `stop()`
/// from one thread.
public final class ALSACaptureDevice: RealtimeAudioDevice, Sendable {
    /// The configuration the device was created with.
    public let configuration: ALSACaptureConfiguration
    /// The bridge shared with the engine.
    public let bridge: RealtimeBridge
    /// Where MIDI from the bridge goes (opened and finished by its owner).
    public let midiOutput: ALSASequencerOutput?
    /// Where keyboard MIDI comes from (opened by its owner; read while the device runs).
    public let midiInput: ALSASequencerInput?

    private struct Control {
        var state = DeviceState.idle
        var thread: WorkerThread?
        var format: ALSASampleFormat?
    }

    private let logger: Logger
    private let control = Mutex(Control())
    private let stopRequested = Atomic<Bool>(false)
    private let stopSignal = WakeSignal()
    private let nextFrame = Atomic<UInt64>(0)
    /// Monotonic time at which the latest block was read (0 before the first): a restart adds the gap since.
    private let lastReadNanoseconds = Atomic<UInt64>(0)
    private let sampleRateBits = Atomic<UInt64>(0)
    private let discardedMessages = Atomic<UInt64>(0)

    /// Creates a device (nothing is opened until `start()`); checks the configuration.
    public init(
        configuration: ALSACaptureConfiguration, bridge: RealtimeBridge, midiOutput: ALSASequencerOutput? = nil,
        midiInput: ALSASequencerInput? = nil, logger: Logger = Logger(label: "musichal.alsa")
    ) throws(ALSAError) {
        try configuration.validate()
        self.configuration = configuration
        self.bridge = bridge
        self.midiOutput = midiOutput
        self.midiInput = midiInput
        self.logger = logger
    }

    /// The rate the device runs at (0 before `start()`).
    public var sampleRate: Double { Double(bitPattern: sampleRateBits.load(ordering: .relaxed)) }
    /// Current state; `.stopped` also once `frameLimit` frames were captured.
    public var state: DeviceState { control.withLock { $0.state } }
    /// The sample format negotiated with the device (nil before `start()`).
    public var sampleFormat: ALSASampleFormat? { control.withLock { $0.format } }
    /// Frames captured so far on the stream clock.
    public var streamFrame: FrameTime { nextFrame.load(ordering: .relaxed) }
    /// The stream frame now: the frame after the last block read, plus the time since it was read.
    public var estimatedStreamFrame: FrameTime {
        let frame = nextFrame.load(ordering: .relaxed)
        let readAt = lastReadNanoseconds.load(ordering: .relaxed)
        let now = monotonicNanoseconds()
        guard readAt != 0, now > readAt, sampleRate > 0 else { return frame }
        return frame + FrameTime(Double(now - readAt) / 1e9 * sampleRate)
    }

    /// Due MIDI messages discarded because no sequencer output was given.
    public var discardedMIDIMessages: UInt64 { discardedMessages.load(ordering: .relaxed) }

    /// Opens and starts the PCM, then captures on a new thread. Throws `ALSAError` when the device cannot be
    /// opened or refuses the parameters. Does nothing when already started.
    public func start() throws {
        let started = control.withLock { control in
            switch control.state {
            case .running, .reconnecting: true
            case .idle, .stopped: false
            }
        }
        if started { return }
        let capture = try PCMCapture(configuration)
        sampleRateBits.store(capture.sampleRate.bitPattern, ordering: .relaxed)
        // The keyboard first: if its sequencer refuses, nothing runs yet (the PCM closes with `capture`).
        try midiInput?.start(into: bridge) { [weak self] in self?.estimatedStreamFrame ?? 0 }
        stopRequested.store(false, ordering: .relaxed)
        logger.info(
            "ALSA capture started",
            metadata: [
                "device": "\(configuration.deviceName)", "format": "\(capture.format.rawValue)",
                "rate": "\(capture.sampleRate)", "period": "\(capture.periodFrames)",
            ])
        let box = CaptureBox(capture)
        bridge.counters.countStreamStart()
        control.withLock {
            $0.state = .running
            $0.format = capture.format
            $0.thread = WorkerThread(name: "musichal-alsa") { [self] in run(box.take()) }
        }
    }

    /// Ends capture (within one period), sends every MIDI message still queued in the bridge, closes the PCM.
    public func stop() {
        midiInput?.stop()
        stopRequested.store(true, ordering: .relaxed)
        stopSignal.signal()
        let thread = control.withLock { control in
            defer { control.thread = nil }
            return control.thread
        }
        thread?.join()
        control.withLock { $0.state = .stopped }
    }

    // MARK: Capture thread

    /// Hands the PCM to the capture thread.
    private final class CaptureBox: @unchecked Sendable {
        // @unchecked: written once here, taken once by the capture thread after it starts.
        private var capture: PCMCapture?
        init(_ capture: PCMCapture) { self.capture = capture }
        func take() -> PCMCapture? {
            defer { capture = nil }
            return capture
        }
    }

    private func run(_ initial: PCMCapture?) {
        if let priority = configuration.realtimePriority { raisePriority(priority) }
        var capture = initial
        let maxBytes = 8_192 * configuration.channels * 4
        let interleaved = UnsafeMutableRawPointer.allocate(byteCount: maxBytes, alignment: 16)
        let mono = UnsafeMutablePointer<Float>.allocate(capacity: 8_192)
        defer {
            interleaved.deallocate()
            mono.deallocate()
        }
        var captured: UInt64 = 0
        var lastReadEnd = lastReadNanoseconds.load(ordering: .relaxed)
        var measureGap = lastReadEnd != 0  // restarted after stop(): the clock skips the pause
        var delay = nanoseconds(configuration.reopenInitialDelay)
        while !stopRequested.load(ordering: .relaxed) {
            guard let pcm = capture else {
                stopSignal.wait(timeout: delay)
                if stopRequested.load(ordering: .relaxed) { break }
                do {
                    let reopened = try PCMCapture(configuration)
                    capture = reopened
                    sampleRateBits.store(reopened.sampleRate.bitPattern, ordering: .relaxed)
                    bridge.counters.countStreamStart()
                    control.withLock { $0.state = .running }
                    logger.info("ALSA capture device reopened", metadata: ["device": "\(configuration.deviceName)"])
                    delay = nanoseconds(configuration.reopenInitialDelay)
                    measureGap = true
                } catch {
                    control.withLock { $0.state = .reconnecting(error.description) }
                    delay = min(delay * 2, nanoseconds(configuration.reopenMaximumDelay))
                }
                continue
            }
            var wanted = min(pcm.periodFrames, 8_192)
            if let limit = configuration.frameLimit {
                if captured >= limit { break }
                wanted = Int(min(UInt64(wanted), limit - captured))
            }
            let frameBytes = pcm.channels * pcm.bytesPerSample
            var filled = 0
            var failure: String?
            while filled < wanted && !stopRequested.load(ordering: .relaxed) {
                let result = snd_pcm_readi(
                    pcm.pcm, interleaved + filled * frameBytes, snd_pcm_uframes_t(wanted - filled))
                if result >= 0 {
                    filled += Int(result)
                    continue
                }
                if result == -Int(EAGAIN) { continue }
                // Overrun (-EPIPE) or suspend (-ESTRPIPE): recover, drop the partial period, stamp the gap.
                let recovered = snd_pcm_recover(pcm.pcm, Int32(result), 1)
                if recovered == 0 {
                    bridge.counters.countXrun()
                    filled = 0
                    measureGap = true
                    continue
                }
                failure = String(cString: snd_strerror(Int32(result)))
                break
            }
            if let failure {
                capture = nil
                control.withLock { $0.state = .reconnecting(failure) }
                logger.warning(
                    "ALSA capture failed; reopening",
                    metadata: ["device": "\(configuration.deviceName)", "reason": "\(failure)"])
                continue
            }
            if filled == 0 { continue }
            let readEnd = monotonicNanoseconds()
            if measureGap && lastReadEnd != 0 {
                // The block just read ended now; whatever lies between the previous block's end and its start
                // was lost.
                let elapsed = (Double(readEnd - lastReadEnd) / 1e9 * pcm.sampleRate).rounded()
                nextFrame.wrappingAdd(UInt64(max(0, elapsed - Double(filled))), ordering: .relaxed)
            }
            measureGap = false
            lastReadEnd = readEnd
            lastReadNanoseconds.store(readEnd, ordering: .relaxed)
            mixToMono(pcm, interleaved, frames: filled, into: mono)
            let blockStart = nextFrame.load(ordering: .relaxed)
            var offset = 0
            while offset < filled {
                let count = min(filled - offset, bridge.input.maxBlockFrames)
                let block = UnsafeBufferPointer(start: UnsafePointer(mono + offset), count: count)
                if !bridge.input.push(startFrame: blockStart + UInt64(offset), samples: block) {
                    bridge.counters.countDroppedInputBlock()
                }
                offset += count
            }
            let blockEnd = blockStart + UInt64(filled)
            nextFrame.store(blockEnd, ordering: .relaxed)
            captured += UInt64(filled)
            bridge.wakeEngine()
            forwardMIDI(blockEnd: blockEnd, sampleRate: pcm.sampleRate, flushAll: false)
            bridge.counters.countCycle()
            let busy = Double(monotonicNanoseconds() - readEnd) / 1e9
            bridge.counters.setDSPLoad(Float(100 * busy / (Double(filled) / pcm.sampleRate)))
        }
        forwardMIDI(blockEnd: nextFrame.load(ordering: .relaxed), sampleRate: sampleRate, flushAll: true)
        capture = nil
        if !stopRequested.load(ordering: .relaxed) {
            control.withLock { $0.state = .stopped }
            logger.info("ALSA capture reached its frame limit", metadata: ["frames": "\(captured)"])
        }
    }

    private func mixToMono(
        _ pcm: PCMCapture, _ interleaved: UnsafeMutableRawPointer, frames: Int, into mono: UnsafeMutablePointer<Float>
    ) {
        let channels = pcm.channels
        let gain = channels == 1 ? 1 : 1 / Float(channels)
        if pcm.format == .int16 {
            let samples = interleaved.assumingMemoryBound(to: Int16.self)
            for frame in 0..<frames {
                var sum: Float = 0
                for channel in 0..<channels { sum += Float(samples[frame * channels + channel]) / 32_768 }
                mono[frame] = sum * gain
            }
        } else {
            let samples = interleaved.assumingMemoryBound(to: Float.self)
            for frame in 0..<frames {
                var sum: Float = 0
                for channel in 0..<channels { sum += samples[frame * channels + channel] }
                mono[frame] = sum * gain
            }
        }
    }

    /// Hands due MIDI to the sequencer output: messages before `blockEnd` + the lookahead (all of them when
    /// `flushAll`, the far-future ones at the lookahead's end). Without an output, due messages are discarded.
    private func forwardMIDI(blockEnd: FrameTime, sampleRate: Double, flushAll: Bool) {
        let lookahead = UInt64(Double(nanoseconds(configuration.midiLookahead)) / 1e9 * max(sampleRate, 1))
        let horizon = blockEnd + lookahead
        guard let midiOutput else {
            while let message = bridge.output.peek(), message.frame < blockEnd || flushAll {
                _ = bridge.output.pop()
                discardedMessages.wrappingAdd(1, ordering: .relaxed)
            }
            return
        }
        midiOutput.synchronize(streamFrame: blockEnd)
        var sent = false
        while var message = bridge.output.peek(), message.frame < horizon || flushAll {
            _ = bridge.output.pop()
            if message.frame < blockEnd { bridge.counters.countLateMessage() }
            message.frame = min(message.frame, horizon)
            midiOutput.schedule(message)
            sent = true
        }
        if sent { try? midiOutput.flush() }
    }

    private func raisePriority(_ priority: Int32) {
        var parameters = sched_param()
        parameters.sched_priority = priority
        let result = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
        if result != 0 {
            logger.notice(
                "cannot raise the ALSA capture thread to SCHED_FIFO \(priority): \(String(cString: strerror(result)))")
        }
    }
}
