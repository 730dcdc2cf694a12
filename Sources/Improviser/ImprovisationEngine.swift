public import AudioFeatures
public import MIDICore
public import ModelFormat
public import MusicHalCore

/// What happened while the engine processed one block.
public struct EngineActivity: Sendable {
    /// Onsets detected (frames on the stream clock).
    public var onsets: [FrameTime] = []
    /// Input events completed (from audio and MIDI, in time order).
    public var events: [MusicalEvent] = []
    /// The events among `events` that came from the MIDI input (they have no audio to encode).
    public var midiEvents: [MusicalEvent] = []
    /// Phrases the agent decided to play (already scheduled).
    public var phrases: [Phrase] = []

    /// Creates an empty record.
    public init() {}
}

/// Listener → improviser → note scheduler: one engine for every way MusicHal runs.
///
/// The live daemon, `demo`, `perform` and the tests all feed audio blocks in and take due MIDI messages out;
/// only the source and the sink differ. The engine runs on a worker thread (never the audio callback) and
/// reads no clock: the blocks' frame stamps are its time.
public final class ImprovisationEngine {
    /// Sample rate of the stream clock.
    public let sampleRate: Double
    /// The agent.
    public private(set) var improviser: Improviser
    /// Total onsets heard.
    public private(set) var onsetCount = 0
    /// Total input events heard.
    public private(set) var eventCount = 0
    /// Input events heard on the MIDI input (included in `eventCount`).
    public private(set) var midiEventCount = 0
    /// Total phrases played.
    public private(set) var phraseCount = 0

    /// Whether the agent may play (the transport); when stopped it still listens, tracks and learns.
    public private(set) var transportRunning = true
    /// Name of the loaded model, if any.
    public private(set) var modelName: String?
    /// Counts model replacements, so a helper tied to the model (the neural tokenizer) can notice one.
    public private(set) var modelGeneration = 0
    /// Frames from the last onset's block reaching the engine to its answer being scheduled (the engine's own
    /// share of the latency; zero when the answer is scheduled in the same pass).
    public private(set) var lastAnswerLatencyFrames: FrameTime = 0

    private var recentOnsets: [FrameTime] = []
    private let listener: StreamingListener
    private var midiListener: MIDINoteListener
    private var midiOutputs: [ListenerOutput] = []
    private var scheduler: NoteScheduler
    private var listenerOutputs: [ListenerOutput] = []
    private var position: FrameTime = 0

    /// Creates an engine. `maximumNoteSeconds` bounds every note, so none can hang.
    public init(
        listener: StreamingListener, improviser: Improviser, outputMode: MIDIOutputMode,
        maximumNoteSeconds: Double = 8, midiSettings: MIDIListenerSettings = MIDIListenerSettings()
    ) {
        sampleRate = listener.sampleRate
        self.listener = listener
        midiListener = MIDINoteListener(sampleRate: listener.sampleRate, settings: midiSettings)
        self.improviser = improviser
        scheduler = NoteScheduler(
            mode: outputMode, maximumNoteFrames: FrameTime(maximumNoteSeconds * listener.sampleRate))
        listenerOutputs.reserveCapacity(16)
    }

    /// The frame up to which input has been processed.
    public var currentFrame: FrameTime { position }

    /// Notes sounding or due to sound.
    public var activeNoteCount: Int { scheduler.activeNoteCount }

    /// Level of the input in dBFS.
    public var inputLevelDB: Double { listener.levelDB }

    /// Messages that open the output at `frame`: a startup panic (a crashed predecessor may have left notes
    /// on) and, in MPE mode, the zone configuration.
    public func start(at frame: FrameTime) -> [TimedMIDIMessage] {
        position = frame
        return scheduler.setUp(at: frame)
    }

    /// Loads or unloads the agent's memory. A panic goes out first, so nothing hangs across models.
    public func replaceModel(_ model: MusicHalModel?, at frame: FrameTime) -> [TimedMIDIMessage] {
        let flush = scheduler.panic(at: frame)
        improviser.load(model)
        modelGeneration += 1
        return flush
    }

    /// Changes the agent's mode; switching to `listen` releases the notes in progress.
    public func setMode(_ mode: ImproviserMode, at frame: FrameTime) -> [TimedMIDIMessage] {
        improviser.mode = mode
        return mode == .listen ? scheduler.stop(at: frame) : []
    }

    /// Changes the agent's parameters (already validated).
    public func setParameters(_ parameters: AgentParameters) { improviser.parameters = parameters }

    /// Turns learning from the input on or off.
    public func setLearning(_ on: Bool) { improviser.isLearning = on }

    /// Says whether live neural tokens are arriving (off: the agent uses the traditional features alone).
    public func setNeuralTokensLive(_ on: Bool) {
        if improviser.neuralTokensLive != on { improviser.neuralTokensLive = on }
    }

    /// Hands the agent the neural token of the input event that began at `onset` (nil: none in time).
    public func hearToken(_ token: Int?, forEventAt onset: FrameTime) {
        improviser.hearToken(token, forEventAt: onset)
    }

    /// Processes one input block and the MIDI input heard up to its end (`midi`, in frame order, every frame
    /// before `block.endFrame`): perception, tracking, decisions; new notes go to the schedule. What the two
    /// listeners report reaches the agent merged in time order.
    public func process(_ block: AudioBlock, midi: [TimedMIDIMessage] = []) -> EngineActivity {
        listenerOutputs.removeAll(keepingCapacity: true)
        listener.process(block, into: &listenerOutputs)
        hearMIDI(midi, upTo: block.endFrame, resumingAt: block.startFrame)
        position = max(position, block.endFrame)
        return handleListenerOutputs()
    }

    /// Processes MIDI input alone up to `frame` (a source without audio, or a test in sample time).
    public func processMIDI(_ midi: [TimedMIDIMessage], upTo frame: FrameTime) -> EngineActivity {
        listenerOutputs.removeAll(keepingCapacity: true)
        hearMIDI(midi, upTo: frame)
        position = max(position, frame)
        return handleListenerOutputs()
    }

    /// Ends the input stream: the last events are completed and may still be answered.
    public func finishInput() -> EngineActivity {
        listenerOutputs.removeAll(keepingCapacity: true)
        listener.finish(into: &listenerOutputs)
        midiOutputs.removeAll(keepingCapacity: true)
        midiListener.finish(into: &midiOutputs)
        return handleListenerOutputs()
    }

    private func hearMIDI(_ midi: [TimedMIDIMessage], upTo frame: FrameTime, resumingAt start: FrameTime? = nil) {
        midiOutputs.removeAll(keepingCapacity: true)
        // After an outage of a second or more (the audio server went away) key releases may be lost: start afresh.
        if let start, position > 0, start > position + FrameTime(sampleRate) {
            midiListener.releaseAll(at: position, into: &midiOutputs)
        }
        for message in midi { midiListener.receive(message, into: &midiOutputs) }
        midiListener.advance(to: frame, into: &midiOutputs)
    }

    /// The audio listener's and the MIDI listener's outputs of this pass, merged by time (onsets by their frame,
    /// events by their end); each list keeps its own order.
    private func mergedOutputs() -> [(output: ListenerOutput, fromMIDI: Bool)] {
        func time(_ output: ListenerOutput) -> FrameTime {
            switch output {
            case .onset(let frame, _): frame
            case .event(let event): event.offsetFrame
            }
        }
        var merged: [(output: ListenerOutput, fromMIDI: Bool)] = []
        merged.reserveCapacity(listenerOutputs.count + midiOutputs.count)
        var audio = 0
        var midi = 0
        while audio < listenerOutputs.count || midi < midiOutputs.count {
            if midi == midiOutputs.count
                || (audio < listenerOutputs.count && time(listenerOutputs[audio]) <= time(midiOutputs[midi]))
            {
                merged.append((listenerOutputs[audio], false))
                audio += 1
            } else {
                merged.append((midiOutputs[midi], true))
                midi += 1
            }
        }
        midiOutputs.removeAll(keepingCapacity: true)
        return merged
    }

    private func handleListenerOutputs() -> EngineActivity {
        var activity = EngineActivity()
        for (output, fromMIDI) in mergedOutputs() {
            switch output {
            case .onset(let frame, _):
                onsetCount += 1
                activity.onsets.append(frame)
                recentOnsets.append(frame)
                if recentOnsets.count > 64 { recentOnsets.removeFirst(recentOnsets.count - 64) }
                schedule(improviser.hearOnset(at: max(frame, position)), into: &activity)
            case .event(let event):
                eventCount += 1
                activity.events.append(event)
                improviser.hear(event, now: position)
                if fromMIDI {
                    midiEventCount += 1
                    activity.midiEvents.append(event)
                    // No audio to encode: a learned MIDI event must not wait for a neural token.
                    improviser.hearToken(nil, forEventAt: event.onsetFrame)
                }
            }
        }
        schedule(improviser.tick(now: position), into: &activity)
        return activity
    }

    private func schedule(_ phrases: [Phrase], into activity: inout EngineActivity) {
        guard transportRunning else { return }
        for phrase in phrases {
            phraseCount += 1
            for note in phrase.notes { scheduler.schedule(note) }
            activity.phrases.append(phrase)
        }
    }

    /// Lets the agent act on time passing without input (silence, initiative), up to `frame`.
    public func advance(to frame: FrameTime) -> EngineActivity {
        position = max(position, frame)
        var activity = EngineActivity()
        schedule(improviser.tick(now: position), into: &activity)
        return activity
    }

    /// Applies a control command at `frame`; returns the messages it sends at once (flushes, reconfiguration).
    public func apply(_ command: EngineCommand, at frame: FrameTime) -> [TimedMIDIMessage] {
        switch command {
        case .setMode(let mode):
            return setMode(mode, at: frame)
        case .setParameters(let parameters):
            setParameters(parameters)
            return []
        case .setLearning(let on):
            setLearning(on)
            return []
        case .setTransport(let running):
            transportRunning = running
            return running ? [] : scheduler.stop(at: frame)
        case .panic:
            return scheduler.panic(at: frame)
        case .setOutputMode(let mode):
            return scheduler.changeMode(mode, at: frame)
        case .replaceModel(let name, let model):
            modelName = model == nil ? nil : name
            return replaceModel(model, at: frame)
        case .overrideChord(let chord, let seconds):
            improviser.overrideChord(chord, at: frame, seconds: seconds)
            return []
        case .clearChordOverride:
            improviser.clearChordOverride()
            return []
        case .startArc(let minutes, let learned):
            // The control surface checked the minutes; a learned contour the model lacks falls back to the shape.
            do {
                try improviser.startArc(minutes: minutes, at: frame, learned: learned)
            } catch {
                try? improviser.startArc(minutes: minutes, at: frame, learned: false)
            }
            return []
        case .stopArc:
            improviser.stopArc()
            return []
        case .setSnapTargets(let targets):
            improviser.snapTargets.merge(targets) { _, new in new }
            return []
        case .selectPatch(let patch):
            return scheduler.stamp(patch.messages(for: scheduler.mode), at: frame)
        }
    }

    /// Onsets per second over the five seconds before `frame`.
    public func onsetRate(at frame: FrameTime) -> Double {
        let window = FrameTime(5 * sampleRate)
        let recent = recentOnsets.filter { $0 + window >= frame }
        return Double(recent.count) / 5
    }

    /// The MIDI note the listener currently hears (the highest key sounding on the MIDI input first), if any.
    public var currentInputPitch: Int? { midiListener.currentPitch ?? listener.currentPitch.map { Int($0.rounded()) } }

    /// Removes and returns the MIDI messages due before `frame`, in frame order.
    public func popDue(before frame: FrameTime) -> [TimedMIDIMessage] { scheduler.popDue(before: frame) }

    /// Frame of the next scheduled message, if any.
    public var nextDueFrame: FrameTime? { scheduler.nextDueFrame }

    /// Releases every note at `frame` with the full panic sequence (note-offs, CC64 = 0, CC123, CC120).
    public func panic(at frame: FrameTime) -> [TimedMIDIMessage] { scheduler.panic(at: frame) }

    /// Releases every note at `frame` but lets release tails ring (no CC120).
    public func stop(at frame: FrameTime) -> [TimedMIDIMessage] { scheduler.stop(at: frame) }
}
