public import MusicHalCore
import Synchronization

/// Counters a real-time device updates from its callback and everyone else reads. Relaxed atomics: each is
/// independent, and readers only need eventually consistent values for status and health.
public final class RealtimeCounters: Sendable {
    private let cyclesValue = Atomic<UInt64>(0)
    private let xrunsValue = Atomic<UInt64>(0)
    private let lateMessagesValue = Atomic<UInt64>(0)
    private let droppedInputBlocksValue = Atomic<UInt64>(0)
    private let streamStartsValue = Atomic<UInt64>(0)
    private let droppedMIDIInputValue = Atomic<UInt64>(0)
    private let dspLoadBits = Atomic<UInt32>(0)

    /// Creates zeroed counters.
    public init() {}

    /// Process cycles run (the engine's liveness for the watchdog).
    public var cycles: UInt64 { cyclesValue.load(ordering: .relaxed) }
    /// Over- and underruns reported by the audio server or driver.
    public var xruns: UInt64 { xrunsValue.load(ordering: .relaxed) }
    /// MIDI messages that reached the callback after their due frame and went out at the cycle's start.
    public var lateMessages: UInt64 { lateMessagesValue.load(ordering: .relaxed) }
    /// Input blocks dropped because the engine's ring was full.
    public var droppedInputBlocks: UInt64 { droppedInputBlocksValue.load(ordering: .relaxed) }
    /// Streams the device started: its first connection and every reconnect. Counted before the stream's first
    /// input block is pushed, so an engine that reads it after popping a block knows whether the block belongs to
    /// a stream it has not seen yet (and answers with a panic before playing anything into it).
    public var streamStarts: UInt64 { streamStartsValue.load(ordering: .acquiring) }
    /// MIDI input messages dropped because the engine's MIDI input ring was full.
    public var droppedMIDIInput: UInt64 { droppedMIDIInputValue.load(ordering: .relaxed) }
    /// Most recent DSP load in percent as the server reports it.
    public var dspLoad: Float { Float(bitPattern: dspLoadBits.load(ordering: .relaxed)) }

    /// Counts one process cycle (real-time safe).
    @inlinable public func countCycle() { cyclesIncrement() }
    /// Counts one xrun (real-time safe).
    public func countXrun() { xrunsValue.wrappingAdd(1, ordering: .relaxed) }
    /// Counts a late MIDI message (real-time safe).
    public func countLateMessage() { lateMessagesValue.wrappingAdd(1, ordering: .relaxed) }
    /// Counts a dropped input block (real-time safe).
    public func countDroppedInputBlock() { droppedInputBlocksValue.wrappingAdd(1, ordering: .relaxed) }
    /// Counts a stream start; call before pushing the stream's first input block.
    public func countStreamStart() { streamStartsValue.wrappingAdd(1, ordering: .releasing) }
    /// Counts a dropped MIDI input message (real-time safe).
    public func countDroppedMIDIInput() { droppedMIDIInputValue.wrappingAdd(1, ordering: .relaxed) }
    /// Stores the DSP load (real-time safe).
    public func setDSPLoad(_ percent: Float) { dspLoadBits.store(percent.bitPattern, ordering: .relaxed) }

    @usableFromInline func cyclesIncrement() { cyclesValue.wrappingAdd(1, ordering: .relaxed) }
}

/// Everything that crosses between a real-time audio device's callback and the engine thread: input blocks
/// stamped on the stream clock, MIDI messages with due frames, counters, and a wake-up for the engine.
///
/// The device (JACK, ALSA) is the only producer of `input` and the only consumer of `output`; the engine is the
/// only consumer of `input` and the only producer of `output`. Neither side ever waits for the other.
public final class RealtimeBridge: Sendable {
    /// Blocks of mono input, stamped with their first frame on the stream clock.
    public let input: AudioBlockRing
    /// MIDI messages the engine scheduled, in due-frame order; the device writes each at its frame offset in
    /// the cycle where it falls due (or at the start of the cycle, counted late, if it arrives after).
    public let output: SPSCRing<TimedMIDIMessage>
    /// MIDI heard on the device's MIDI input (a keyboard), stamped on the same stream clock as `input`, in arrival
    /// order. The device pushes a cycle's messages before that cycle's audio block, so when the engine pops a
    /// block, every message up to the block's end is already here.
    public let midiInput: SPSCRing<TimedMIDIMessage>
    /// Counters for status and health.
    public let counters = RealtimeCounters()
    /// Called by the device after it pushed an input block (must be real-time safe, e.g. a semaphore post).
    public let wakeEngine: @Sendable () -> Void

    /// Creates a bridge for periods of at most `maxPeriodFrames` frames.
    public init(
        maxPeriodFrames: Int, inputSlots: Int = 64, outputCapacity: Int = 4096, midiInputCapacity: Int = 1024,
        wakeEngine: @escaping @Sendable () -> Void
    ) {
        input = AudioBlockRing(minimumSlots: inputSlots, maxBlockFrames: maxPeriodFrames)
        output = SPSCRing(minimumCapacity: outputCapacity)
        midiInput = SPSCRing(minimumCapacity: midiInputCapacity)
        self.wakeEngine = wakeEngine
    }
}

/// A live device's connection state, as status and health report it.
public enum DeviceState: Sendable, Equatable {
    /// Not started yet.
    case idle
    /// Running: callbacks arrive.
    case running
    /// The server or device went away; reconnecting with backoff. The reason is a one-line message.
    case reconnecting(String)
    /// Stopped on request.
    case stopped
}

/// A real-time audio device (JACK client, ALSA PCM) that fills a bridge's input and drains its output from its
/// own real-time thread.
public protocol RealtimeAudioDevice: AnyObject, Sendable {
    /// The stream's sample rate (the server's or the device's).
    var sampleRate: Double { get }
    /// The bridge shared with the engine.
    var bridge: RealtimeBridge { get }
    /// Current connection state.
    var state: DeviceState { get }
    /// Connects and starts the callbacks.
    func start() throws
    /// Lets pending MIDI drain for one cycle, then stops the callbacks and disconnects.
    func stop()
    /// Tells the device that the engine has processed every input block through `frame` and pushed every MIDI
    /// message due in the period after it; `FrameTime.max` when the engine stops. A device rendering faster than
    /// real time (JACK freewheel) waits for this before writing a cycle's MIDI; others ignore it.
    func engineCaughtUp(through frame: FrameTime)
}

extension RealtimeAudioDevice {
    /// Real-time devices never wait for the engine.
    public func engineCaughtUp(through frame: FrameTime) {}
}
