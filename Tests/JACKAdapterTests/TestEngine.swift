import MusicHalCore
import RealtimeSupport
import Synchronization

@testable import JACKAdapter

/// A stand-in for the improvisation engine: a thread woken by the device (a semaphore post, as the daemon does)
/// that pops every input block and hands it to a test's handler, which may push MIDI into the bridge.
final class TestEngine: Sendable {
    let bridge: RealtimeBridge
    private let wake: WakeSignal
    private let running = RunningFlag()
    private let thread = Mutex<WorkerThread?>(nil)

    /// Creates the bridge (its wake-up posts this engine's semaphore) and starts the engine thread.
    init(
        maxPeriodFrames: Int = 1024, inputSlots: Int = 64,
        handler: @escaping @Sendable (AudioBlock, RealtimeBridge) -> Void
    ) {
        let wake = WakeSignal()
        self.wake = wake
        let bridge = RealtimeBridge(maxPeriodFrames: maxPeriodFrames, inputSlots: inputSlots) { wake.signal() }
        self.bridge = bridge
        let worker = WorkerThread(name: "test-engine") { [running] in
            var block = AudioBlock(startFrame: 0, sampleRate: 48_000, samples: [])
            block.samples.reserveCapacity(maxPeriodFrames)
            while running.value.load(ordering: .relaxed) {
                wake.wait(timeout: 10_000_000)
                while bridge.input.pop(into: &block) { handler(block, bridge) }
            }
            while bridge.input.pop(into: &block) { handler(block, bridge) }
        }
        thread.withLock { $0 = worker }
    }

    /// Stops the thread after it handled every waiting block.
    func stop() {
        running.value.store(false, ordering: .relaxed)
        wake.signal()
        thread.withLock { worker in
            worker?.join()
            worker = nil
        }
    }
}

/// A flag the engine thread polls.
final class RunningFlag: Sendable {
    let value = Atomic<Bool>(true)
}

/// One input block as the engine saw it: its stamp and the server frame its ramp samples encode.
struct ObservedBlock: Sendable {
    var startFrame: UInt64
    var frameCount: Int
    /// Server frame (mod 2^20) of the first sample, when every sample matched a ramp; nil for silence.
    var serverFrame: UInt32?
    /// True when the samples were all zero (nothing connected) or a consistent ramp.
    var samplesConsistent: Bool
}

/// Decodes a block carrying `JACKProbe.Signal.ramp(scale:)` samples.
func observe(_ block: AudioBlock, rampScale: Float = 1) -> ObservedBlock {
    let period = JACKProbe.rampPeriod
    let samples = block.samples
    if samples.allSatisfy({ $0 == 0 }) {
        return ObservedBlock(
            startFrame: block.startFrame, frameCount: samples.count, serverFrame: nil, samplesConsistent: true)
    }
    let first = UInt32((samples[0] / rampScale * Float(period)).rounded())
    var consistent = true
    for (index, sample) in samples.enumerated() {
        let expected = rampScale * Float((first &+ UInt32(index)) & (period - 1)) / Float(period)
        if sample != expected {
            consistent = false
            break
        }
    }
    return ObservedBlock(
        startFrame: block.startFrame, frameCount: samples.count, serverFrame: first, samplesConsistent: consistent)
}

/// Maps a stream frame to the server frame (mod 2^20) through the block that carried it.
func serverFrame(ofStreamFrame frame: UInt64, blocks: [ObservedBlock]) -> UInt32? {
    guard let block = blocks.last(where: { $0.startFrame <= frame && frame < $0.startFrame + UInt64($0.frameCount) }),
        let base = block.serverFrame
    else { return nil }
    return (base &+ UInt32(frame - block.startFrame)) & (JACKProbe.rampPeriod - 1)
}

extension JACKProbe {
    /// Everything recorded so far (consumer side).
    func drainMIDI() -> [MIDIEvent] {
        var events: [MIDIEvent] = []
        while let event = midiEvents.pop() { events.append(event) }
        return events
    }

    /// Every onset recorded so far (consumer side).
    func drainOnsets() -> [UInt32] {
        var frames: [UInt32] = []
        while let frame = onsets.pop() { frames.append(frame) }
        return frames
    }
}

extension JACKProbe.MIDIEvent {
    /// The event as a MIDIMessage (channel-voice messages only).
    var message: MIDIMessage? {
        let channel = status & 0x0F
        switch status & 0xF0 {
        case 0x90: return .noteOn(channel: channel, note: data1, velocity: data2)
        case 0x80: return .noteOff(channel: channel, note: data1, velocity: data2)
        case 0xB0: return .controlChange(channel: channel, controller: data1, value: data2)
        case 0xC0: return .programChange(channel: channel, program: data1)
        case 0xD0: return .channelPressure(channel: channel, pressure: data1)
        case 0xE0: return .pitchBend(channel: channel, value: UInt16(data2) << 7 | UInt16(data1))
        default: return nil
        }
    }
}
