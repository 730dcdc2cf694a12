import MIDICore
public import MusicHalCore

/// Records a performance as a Standard MIDI File: the agent's notes on one track and, optionally, the
/// detected input on another. The file is rewritten atomically every `flushIntervalSeconds` of stream time,
/// so a crash loses at most that much.
public final class StandardMIDIFileSink: MIDISink {
    /// Where the file is written.
    public let path: String
    private var recorder: StandardMIDIFileRecorder
    private let flushInterval: FrameTime
    private var lastFlush: FrameTime = 0
    private var lastFrame: FrameTime = 0
    private let recordsInput: Bool

    /// Track index of the agent's answer.
    static let answerTrack = 0
    /// Track index of the detected input.
    static let inputTrack = 1

    /// Creates a sink writing to `path` on a stream clock of `sampleRate`.
    public init(path: String, sampleRate: Double, recordInput: Bool, flushIntervalSeconds: Double = 5) throws {
        self.path = path
        recordsInput = recordInput
        recorder = try StandardMIDIFileRecorder(
            sampleRate: sampleRate, trackNames: recordInput ? ["MusicHal answer", "Input"] : ["MusicHal answer"])
        flushInterval = FrameTime(flushIntervalSeconds * sampleRate)
    }

    /// See `MIDISink.send`.
    public func send(_ messages: [TimedMIDIMessage]) throws {
        for message in messages {
            recorder.append(message, toTrack: Self.answerTrack)
            lastFrame = max(lastFrame, message.frame)
        }
        if lastFrame >= lastFlush + flushInterval {
            lastFlush = lastFrame
            try AtomicFile.write(recorder.encoded(endFrame: lastFrame), to: path)
        }
    }

    /// Records a detected input event as a note on the input track (channel 1).
    public func recordInput(_ event: MusicalEvent) {
        guard recordsInput, let note = event.midiNote, (0...127).contains(note) else { return }
        recorder.append(
            TimedMIDIMessage(
                frame: event.onsetFrame, message: .noteOn(channel: 0, note: UInt8(note), velocity: event.velocity)),
            toTrack: Self.inputTrack)
        recorder.append(
            TimedMIDIMessage(frame: event.offsetFrame, message: .noteOff(channel: 0, note: UInt8(note))),
            toTrack: Self.inputTrack)
    }

    /// See `MIDISink.finish(at:)`: writes the complete file.
    public func finish(at frame: FrameTime) throws {
        try AtomicFile.write(recorder.encoded(endFrame: max(frame, lastFrame)), to: path)
    }

    /// Note-ons recorded on the answer track so far, counting every message.
    public var answerMessageCount: Int { recorder.messageCount(track: Self.answerTrack) }
}
