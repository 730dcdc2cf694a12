public import MusicHalCore

/// Turns the agent's notes into MIDI messages due at sample-clock frames, and guarantees no note sticks.
///
/// `schedule` queues a note's start and end (the end is fixed when the note is created, capped at
/// `maximumNoteFrames`). `popDue` turns due starts and ends into messages, deciding channels at the moment a note
/// starts: the active-note table prevents a second Note On on a sounding key, and in MPE the member-channel
/// allocator gives each note its own channel, stealing the oldest note's channel when all are busy.
///
/// The queue's storage is reserved in `init`; `schedule` and `popDue(before:into:)` never allocate (given a
/// buffer with room), so the scheduler may run on the engine thread. It reads no clock: frames are passed in.
public struct NoteScheduler: Sendable {
    /// The current output mode; change it with `changeMode(_:at:)`.
    public private(set) var mode: MIDIOutputMode
    /// The longest a note may sound, in frames; longer notes are shortened to it.
    public let maximumNoteFrames: FrameTime

    private var queue: PendingNoteQueue
    private var activeNotes = ActiveNoteTable()
    private var allocator: MemberChannelAllocator?
    private var nextNoteID: UInt64 = 0
    /// The first frame not yet handed out: every later message is due at or after it.
    private var horizon: FrameTime = 0

    /// Notes refused because the queue was full.
    public private(set) var droppedNotes = 0
    /// MPE notes that took a busy member channel, ending the oldest note early.
    public private(set) var stolenNotes = 0
    /// Notes that ended a sounding note on the same key (MPE: same voice and pitch) before starting.
    public private(set) var retriggeredNotes = 0
    /// Notes shortened to `maximumNoteFrames`.
    public private(set) var shortenedNotes = 0
    /// Notes whose start had already been handed out by `popDue`; they start at the first open frame instead.
    public private(set) var lateNotes = 0

    /// Creates a scheduler.
    ///
    /// - Parameters:
    ///   - mode: standard or MPE output.
    ///   - maximumNoteFrames: the longest note in frames (the caller converts, e.g. 8 s × sample rate); at least 1.
    ///   - capacity: pending note starts and ends the queue holds (two per note), reserved now.
    public init(mode: MIDIOutputMode, maximumNoteFrames: FrameTime, capacity: Int = 4096) {
        self.mode = mode
        self.maximumNoteFrames = max(1, maximumNoteFrames)
        queue = PendingNoteQueue(capacity: max(2, capacity))
        allocator = mode.zone.map { MemberChannelAllocator(zone: $0) }
    }

    /// Number of notes sounding (Note On sent, Note Off not yet).
    public var activeNoteCount: Int { activeNotes.count }

    /// The sounding notes, oldest first.
    public var soundingNotes: [ActiveNote] { activeNotes.notesByAge }

    /// Frame of the earliest pending note start or end, or nil when nothing is pending.
    public var nextDueFrame: FrameTime? { queue.first?.frame }

    /// Number of note starts and ends waiting.
    public var pendingEventCount: Int { queue.count }

    /// How many note starts and ends the queue can hold.
    public var capacity: Int { queue.capacity }

    /// Turns a note into due messages: in MPE, pitch bend from note.cents + CC74 (64) + channel pressure
    /// (velocity-derived), all before the Note On, same frame; Note Off scheduled at note.endFrame (capped by
    /// maximumNoteFrames); retriggers/steals handled.
    ///
    /// In standard mode the note plays on its voice's channel and `cents` is ignored (pitch is already a
    /// semitone). A note starting before frames already popped starts at the first open frame, keeping its
    /// length. When the queue is full the note is dropped and counted in `droppedNotes`.
    public mutating func schedule(_ note: Note) {
        guard queue.freeSlots >= 2 else {
            droppedNotes += 1
            return
        }
        var length = note.durationFrames
        if length > maximumNoteFrames {
            length = maximumNoteFrames
            shortenedNotes += 1
        }
        var start = note.startFrame
        if start < horizon {
            start = horizon
            lateNotes += 1
        }
        // Keep start < end even at the end of the clock, so the start is always due before its end.
        start = min(start, FrameTime.max - length)
        let end = start + length
        let noteID = nextNoteID
        nextNoteID += 1
        // `Note` clamps in its initialiser, but its fields are mutable: clamp again so no invalid byte can be built.
        let startEvent = PendingNoteEvent(
            frame: start, sequence: 0, isEnd: false, noteID: noteID, pitch: min(note.pitch, 127),
            velocity: min(max(note.velocity, 1), 127),
            voice: note.voice, cents: note.cents, endFrame: end)
        var endEvent = startEvent
        endEvent.frame = end
        endEvent.isEnd = true
        queue.insert(startEvent)
        queue.insert(endEvent)
    }

    /// Removes and returns (in frame order, stable for equal frames) every message due before `frame` (exclusive).
    ///
    /// At one frame, note ends come before note starts; otherwise messages keep the order they were scheduled
    /// in, and a note's own messages keep their fixed order (steal or retrigger Note Off, then bend, CC74,
    /// pressure, Note On).
    public mutating func popDue(before frame: FrameTime) -> [TimedMIDIMessage] {
        var messages: [TimedMIDIMessage] = []
        popDue(before: frame, into: &messages)
        return messages
    }

    /// Same, appending into a caller-owned buffer, for callers that must not allocate.
    ///
    /// Reserve room in `buffer` up front: at most six messages per due note start and two per note end.
    public mutating func popDue(before frame: FrameTime, into buffer: inout [TimedMIDIMessage]) {
        horizon = max(horizon, frame)
        while let event = queue.first, event.frame < frame {
            _ = queue.popFirst()
            if event.isEnd {
                end(event, into: &buffer)
            } else {
                start(event, into: &buffer)
            }
        }
    }

    /// Panic at `frame`: drops pending Note Ons, sends Note Off for every sounding note, then CC64=0, CC123,
    /// CC120 on every used channel (MPE: manager and every member, then centre member bends), per conventions
    /// §2. `stop` variant skips CC120.
    ///
    /// Every pending start and end is dropped (sounding notes get their Note Off here instead). Messages are
    /// stamped `frame`, or the first frame not yet popped if that is later.
    public mutating func panic(at frame: FrameTime) -> [TimedMIDIMessage] {
        flush(.panic, at: frame)
    }

    /// Like `panic(at:)` without CC120, so release tails ring out.
    public mutating func stop(at frame: FrameTime) -> [TimedMIDIMessage] {
        flush(.stop, at: frame)
    }

    /// Messages to send when output starts or the mode changes (a startup panic; in MPE also the zone
    /// configuration).
    ///
    /// Send it at startup (a crashed predecessor may have left notes on) and after every output reconnect.
    /// Pending notes are dropped and sounding notes get their Note Off in the returned panic.
    public mutating func setUp(at frame: FrameTime) -> [TimedMIDIMessage] {
        changeMode(mode, at: frame)
    }

    /// Switches to `newMode`: a panic of the old mode, then, when either mode is MPE, CC121 on the affected
    /// channels, the old zone's switch-off and the new zone's configuration (see
    /// `MIDIOutputMode.transitionMessages(from:to:soundingNotes:)`). Pending notes are dropped.
    public mutating func changeMode(_ newMode: MIDIOutputMode, at frame: FrameTime) -> [TimedMIDIMessage] {
        let messages = MIDIOutputMode.transitionMessages(from: mode, to: newMode, soundingNotes: soundingNotes)
        mode = newMode
        return reset(stamping: messages, at: frame)
    }

    /// Stamps messages that are not notes (a program change) at `frame`, or at the first frame not yet popped if
    /// that is later, so they follow a flush returned just before them instead of overtaking it.
    public mutating func stamp(_ messages: [MIDIMessage], at frame: FrameTime) -> [TimedMIDIMessage] {
        let stamp = max(frame, horizon)
        horizon = stamp
        return messages.map { TimedMIDIMessage(frame: stamp, message: $0) }
    }

    private mutating func flush(_ kind: NoteFlushKind, at frame: FrameTime) -> [TimedMIDIMessage] {
        let messages = mode.flushMessages(kind, soundingNotes: soundingNotes)
        return reset(stamping: messages, at: frame)
    }

    /// Forgets every pending and sounding note and stamps `messages` at `frame` (not before the horizon).
    private mutating func reset(stamping messages: [MIDIMessage], at frame: FrameTime) -> [TimedMIDIMessage] {
        let stamp = max(frame, horizon)
        horizon = stamp
        queue.removeAll()
        activeNotes.removeAll()
        allocator = mode.zone.map { MemberChannelAllocator(zone: $0) }
        return messages.map { TimedMIDIMessage(frame: stamp, message: $0) }
    }

    // MARK: - Due events

    private mutating func start(_ event: PendingNoteEvent, into buffer: inout [TimedMIDIMessage]) {
        switch mode {
        case .standard(let channels):
            let channel = channels.wireChannel(for: event.voice)
            if let sounding = activeNotes.note(wireChannel: channel, pitch: event.pitch) {
                retriggeredNotes += 1
                stopEarly(sounding, at: event.frame, into: &buffer)
            }
            begin(event, on: channel, into: &buffer)
        case .mpe(let zone):
            startMPE(event, zone: zone, into: &buffer)
        }
    }

    private mutating func startMPE(_ event: PendingNoteEvent, zone: MPEZone, into buffer: inout [TimedMIDIMessage]) {
        // A keyboard cannot hold one key twice: the same voice repeating a sounding pitch ends it first.
        for index in 0..<zone.memberCount {
            let member = zone.memberWireChannel(at: index)
            if let sounding = activeNotes.note(wireChannel: member, pitch: event.pitch), sounding.voice == event.voice {
                retriggeredNotes += 1
                stopEarly(sounding, at: event.frame, into: &buffer)
                allocator?.release(wireChannel: member)
            }
        }
        guard let assignment = allocator?.acquire(pitch: event.pitch) else { return }
        let channel = assignment.wireChannel
        if case .stolen(_, let previousPitch) = assignment,
            let victim = activeNotes.note(wireChannel: channel, pitch: previousPitch)
        {
            stolenNotes += 1
            stopEarly(victim, at: event.frame, into: &buffer)
        }
        let bend = zone.memberPitchBendValue(cents: event.cents)
        buffer.append(TimedMIDIMessage(frame: event.frame, message: .pitchBend(channel: channel, value: bend)))
        buffer.append(
            TimedMIDIMessage(
                frame: event.frame,
                message: .controlChange(
                    channel: channel, controller: MIDIController.timbre, value: MIDIController.neutralTimbre)))
        buffer.append(
            TimedMIDIMessage(
                frame: event.frame,
                message: .channelPressure(channel: channel, pressure: Self.initialPressure(velocity: event.velocity))))
        begin(event, on: channel, into: &buffer)
    }

    /// Sends the Note On and records the note as sounding.
    private mutating func begin(_ event: PendingNoteEvent, on channel: UInt8, into buffer: inout [TimedMIDIMessage]) {
        let note = ActiveNote(
            id: event.noteID, wireChannel: channel, pitch: event.pitch, voice: event.voice, startFrame: event.frame,
            endFrame: event.endFrame)
        let inserted = activeNotes.insert(note)
        assert(inserted, "a sounding key must be ended before its next Note On")
        buffer.append(
            TimedMIDIMessage(
                frame: event.frame,
                message: .noteOn(channel: channel, note: event.pitch, velocity: event.velocity)))
    }

    /// Ends a sounding note before its scheduled end and cancels that end.
    private mutating func stopEarly(_ note: ActiveNote, at frame: FrameTime, into buffer: inout [TimedMIDIMessage]) {
        queue.removeEnd(ofNote: note.id)
        activeNotes.remove(wireChannel: note.wireChannel, pitch: note.pitch)
        appendNoteOff(for: note, at: frame, into: &buffer)
    }

    private mutating func end(_ event: PendingNoteEvent, into buffer: inout [TimedMIDIMessage]) {
        guard let note = activeNotes.note(id: event.noteID, pitch: event.pitch) else { return }
        activeNotes.remove(wireChannel: note.wireChannel, pitch: note.pitch)
        allocator?.release(wireChannel: note.wireChannel)
        appendNoteOff(for: note, at: event.frame, into: &buffer)
    }

    private func appendNoteOff(for note: ActiveNote, at frame: FrameTime, into buffer: inout [TimedMIDIMessage]) {
        if mode.zone != nil {
            // Pressure reaches 0 just before the Note Off so the release is not driven by stale pressure.
            buffer.append(
                TimedMIDIMessage(frame: frame, message: .channelPressure(channel: note.wireChannel, pressure: 0)))
        }
        buffer.append(
            TimedMIDIMessage(
                frame: frame,
                message: .noteOff(
                    channel: note.wireChannel, note: note.pitch, velocity: MIDIController.defaultReleaseVelocity)))
    }

    /// The initial MPE channel pressure (Z) of a note: its velocity, so louder notes start with more pressure.
    public static func initialPressure(velocity: UInt8) -> UInt8 {
        min(max(velocity, 1), 127)
    }
}
