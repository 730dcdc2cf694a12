public import MusicHalCore
import RealModule

/// How notes played on a MIDI keyboard become musical events.
public struct MIDIListenerSettings: Sendable, Hashable {
    /// Notes starting within this many seconds of an event's first note join it as one chord.
    public var chordWindowSeconds = 0.03
    /// Longest event in seconds: a note held longer is closed here, as the audio listener closes a long sound.
    public var maximumEventSeconds = 8.0
    /// Wire channels (0-15) listened to; messages on other channels are ignored.
    public var channels: Set<UInt8> = Set(0..<16)
    /// What stands in for the spectral brightness of a keyboard sound (the `brightness` feature, 0-1): MIDI says
    /// nothing about timbre, so every MIDI event gets this value. 0.35 is close to what the audio listener measures
    /// on a plain piano-like tone.
    public var brightness = 0.35

    /// Default settings: every channel, 30 ms chord window, 8 s longest event.
    public init() {}
}

/// Perception of a MIDI input: timestamped note-ons and note-offs in, the same onsets and `MusicalEvent`s as the
/// audio listener (`StreamingListener`) out, so the agent tracks, answers and learns from a keyboard exactly as it
/// does from a microphone.
///
/// - Onset: the frame of an event's first note-on, reported at once.
/// - Chords: notes starting within `chordWindowSeconds` of the first form one event; its pitch set is their notes
///   (lowest first) and its pitch the highest (the melody), as the audio path does for chords.
/// - End: the event ends when its last note stops sounding (key up and, with the sustain pedal CC64 down, pedal
///   up), when the next event begins (as a new onset ends an audio event), or after `maximumEventSeconds`.
/// - Features: chroma from the event's notes weighted by velocity, plus notes still sounding from before at half
///   weight (their sound has decayed); pitch with 0 cents; level from velocity by the inverse of the audio
///   listener's velocity mapping; pitch confidence 1 (0.5 for a chord, like the audio path); brightness from the
///   settings. The vector is computed by `EventFeatureLayout.features`, the audio path's own code.
///
/// Messages must arrive in frame order; `advance(to:)` lets time pass between them so events close on time. Pure:
/// time is the frames in the messages.
public struct MIDINoteListener: Sendable {
    /// Sample rate of the frames.
    public let sampleRate: Double
    /// Settings in use.
    public let settings: MIDIListenerSettings

    private struct SoundingNote: Sendable {
        var channel: UInt8
        var note: UInt8
        var velocity: UInt8
        /// False once the key is up while the pedal holds the note.
        var keyDown: Bool
    }

    private struct OpenEvent: Sendable {
        var onset: FrameTime
        var interOnset: FrameTime
        /// The event's own notes (channel, note, velocity), in the order struck.
        var notes: [(channel: UInt8, note: UInt8, velocity: UInt8)]
        /// Notes sounding from before when the event began: they colour its chroma.
        var background: [(note: UInt8, velocity: UInt8)]
        /// Frame at which the last of its notes stopped sounding, once none sounds.
        var silentSince: FrameTime?
    }

    private let chordWindowFrames: FrameTime
    private let maximumEventFrames: FrameTime
    private var sounding: [SoundingNote] = []
    private var pedalDown: UInt16 = 0
    private var open: OpenEvent?
    private var position: FrameTime = 0
    private var previousOnset: FrameTime?
    private var previousF0: Double?
    private var previousInterOnsetSeconds = 0.0

    /// Messages ignored: other channels, or kinds that carry no notes (pitch bend, program change, ...).
    public private(set) var ignoredMessageCount = 0

    /// Creates a listener for frames at `sampleRate`.
    public init(sampleRate: Double, settings: MIDIListenerSettings = MIDIListenerSettings()) {
        self.sampleRate = sampleRate
        self.settings = settings
        chordWindowFrames = FrameTime(max(0, settings.chordWindowSeconds) * sampleRate)
        maximumEventFrames = max(1, FrameTime(max(0, settings.maximumEventSeconds) * sampleRate))
        sounding.reserveCapacity(32)
    }

    /// The highest note sounding now (key down or held by the pedal), if any.
    public var currentPitch: Int? { sounding.map { Int($0.note) }.max() }

    /// Notes sounding now.
    public var soundingNoteCount: Int { sounding.count }

    /// Hears one message at its frame (earlier frames than the last one heard count as that one); onsets and
    /// completed events are appended to `outputs`.
    public mutating func receive(_ timed: TimedMIDIMessage, into outputs: inout [ListenerOutput]) {
        let frame = max(timed.frame, position)
        advance(to: frame, into: &outputs)
        let message = timed.message
        guard settings.channels.contains(message.channel) else {
            ignoredMessageCount += 1
            return
        }
        switch message.kind {
        case 0x90:
            noteOn(channel: message.channel, note: message.data1, velocity: message.data2, at: frame, into: &outputs)
        case 0x80:
            keyUp(channel: message.channel, note: message.data1, at: frame)
        case 0xB0:
            controlChange(channel: message.channel, controller: message.data1, value: message.data2, at: frame)
        default:
            ignoredMessageCount += 1
        }
        // An event whose last note just ended completes now (once its chord window has passed).
        advance(to: frame, into: &outputs)
    }

    /// Lets time pass up to `frame`: an event whose notes have all ended (and whose chord window has passed), or
    /// that reached the longest length, is completed.
    public mutating func advance(to frame: FrameTime, into outputs: inout [ListenerOutput]) {
        position = max(position, frame)
        guard let event = open else { return }
        if let silent = event.silentSince, position >= event.onset + chordWindowFrames {
            complete(offset: silent, into: &outputs)
        } else if position >= event.onset + maximumEventFrames {
            complete(offset: event.onset + maximumEventFrames, into: &outputs)
        }
    }

    /// Ends the stream: the event in progress is completed where its notes ended, or at the last frame heard.
    public mutating func finish(into outputs: inout [ListenerOutput]) {
        guard let event = open else { return }
        complete(offset: event.silentSince ?? min(position, event.onset + maximumEventFrames), into: &outputs)
    }

    /// Forgets every key and pedal (the input was gone: its note-offs may be lost), ending the open event at
    /// `frame`.
    public mutating func releaseAll(at frame: FrameTime, into outputs: inout [ListenerOutput]) {
        advance(to: frame, into: &outputs)
        sounding.removeAll(keepingCapacity: true)
        pedalDown = 0
        noteStopped(at: position)
        if let event = open { complete(offset: event.silentSince ?? position, into: &outputs) }
    }

    // MARK: Messages

    private mutating func noteOn(
        channel: UInt8, note: UInt8, velocity: UInt8, at frame: FrameTime, into outputs: inout [ListenerOutput]
    ) {
        // A key struck again while it still sounds (held by the pedal, or a double note-on) starts anew.
        if let index = sounding.firstIndex(where: { $0.channel == channel && $0.note == note }) {
            sounding.remove(at: index)
            noteStopped(at: frame)
        }
        if var event = open, frame <= event.onset + chordWindowFrames {
            event.notes.removeAll { $0.channel == channel && $0.note == note }
            event.notes.append((channel, note, velocity))
            event.silentSince = nil
            open = event
        } else {
            if let event = open { complete(offset: event.silentSince.map { min($0, frame) } ?? frame, into: &outputs) }
            let background = sounding.map { (note: $0.note, velocity: $0.velocity) }
            open = OpenEvent(
                onset: frame, interOnset: previousOnset.map { frame - $0 } ?? 0, notes: [(channel, note, velocity)],
                background: background, silentSince: nil)
            previousOnset = frame
            outputs.append(.onset(frame: frame, levelDB: Self.levelDB(velocity: velocity)))
        }
        sounding.append(SoundingNote(channel: channel, note: note, velocity: velocity, keyDown: true))
    }

    private mutating func keyUp(channel: UInt8, note: UInt8, at frame: FrameTime) {
        guard let index = sounding.firstIndex(where: { $0.channel == channel && $0.note == note && $0.keyDown })
        else { return }
        if pedalDown & (1 << UInt16(channel)) != 0 {
            sounding[index].keyDown = false
        } else {
            sounding.remove(at: index)
            noteStopped(at: frame)
        }
    }

    private mutating func controlChange(channel: UInt8, controller: UInt8, value: UInt8, at frame: FrameTime) {
        let bit: UInt16 = 1 << UInt16(channel)
        switch controller {
        case 64:  // sustain pedal: down at 64 and above; lifting it ends the notes whose keys are up
            if value >= 64 {
                pedalDown |= bit
            } else {
                pedalDown &= ~bit
                removeSounding(at: frame) { $0.channel == channel && !$0.keyDown }
            }
        case 120:  // All Sound Off: silence at once, pedal or not
            removeSounding(at: frame) { $0.channel == channel }
        case 121:  // Reset All Controllers: the pedal comes up
            pedalDown &= ~bit
            removeSounding(at: frame) { $0.channel == channel && !$0.keyDown }
        case 123:  // All Notes Off: like a note-off for every key; the pedal still holds
            for index in sounding.indices where sounding[index].channel == channel {
                sounding[index].keyDown = false
            }
            if pedalDown & bit == 0 { removeSounding(at: frame) { $0.channel == channel } }
        default:
            ignoredMessageCount += 1
        }
    }

    private mutating func removeSounding(at frame: FrameTime, where matches: (SoundingNote) -> Bool) {
        let before = sounding.count
        sounding.removeAll(where: matches)
        if sounding.count != before { noteStopped(at: frame) }
    }

    /// Some note stopped sounding at `frame`: the open event is silent once none of its own notes sounds.
    private mutating func noteStopped(at frame: FrameTime) {
        guard var event = open, event.silentSince == nil else { return }
        let stillSounding = event.notes.contains { own in
            sounding.contains { $0.channel == own.channel && $0.note == own.note }
        }
        if !stillSounding {
            event.silentSince = frame
            open = event
        }
    }

    // MARK: Events

    private mutating func complete(offset: FrameTime, into outputs: inout [ListenerOutput]) {
        guard let event = open else { return }
        open = nil
        let pitches = Array(Set(event.notes.map { Int($0.note) })).sorted()
        let velocity = max(1, min(127, event.notes.map(\.velocity).max() ?? 64))
        var chroma = [Float](repeating: 0, count: 12)
        for note in event.notes { chroma[PitchMath.pitchClass(Int(note.note))] += Float(note.velocity) / 127 }
        for note in event.background {
            chroma[PitchMath.pitchClass(Int(note.note))] += 0.5 * Float(note.velocity) / 127
        }
        var norm: Float = 0
        for value in chroma { norm += value * value }
        norm = norm.squareRoot()
        if norm > 0 { for index in 0..<12 { chroma[index] /= norm } }

        let midi = pitches.last.map(Double.init)
        let f0 = midi.map { PitchMath.hertz(midiPitch: $0) }
        let confidence = pitches.count > 1 ? 0.5 : 1.0
        let level = Self.levelDB(velocity: velocity)
        let centroid = f0.map { $0 * Double.exp2(5 * max(0, min(1, settings.brightness))) } ?? 0
        let interOnsetSeconds = Double(event.interOnset) / sampleRate
        let features = EventFeatureLayout.features(
            EventFeatureLayout.Inputs(
                chroma: chroma, pitches: pitches.map(Double.init), f0: f0, previousF0: previousF0,
                confidence: confidence, centroid: centroid, levelDB: level, interOnset: interOnsetSeconds,
                previousInterOnset: previousInterOnsetSeconds))
        let musicalEvent = MusicalEvent(
            onsetFrame: event.onset, offsetFrame: max(offset, event.onset + 1), midiPitch: midi, f0Hz: f0,
            pitchConfidence: confidence, pitches: pitches, velocity: velocity, levelDB: level,
            interOnsetFrames: event.interOnset, centroidHz: centroid, features: features)
        outputs.append(.event(musicalEvent))
        if let f0 { previousF0 = f0 }
        if event.interOnset > 0 { previousInterOnsetSeconds = interOnsetSeconds }
    }

    /// The level in dBFS the audio listener would give a note of this velocity (the inverse of its mapping
    /// velocity = 127 × (level + 60) / 57).
    public static func levelDB(velocity: UInt8) -> Double { -60 + 57 * Double(velocity) / 127 }
}
