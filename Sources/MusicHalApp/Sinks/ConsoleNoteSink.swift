import AudioFeatures
import Foundation
public import MusicHalCore

/// Prints each note the agent plays as its note-on goes out: time, note name, velocity and channel.
public final class ConsoleNoteSink: MIDISink {
    private let sampleRate: Double
    private let write: @Sendable (String) -> Void
    /// Note-ons printed.
    public private(set) var noteOnCount = 0

    /// Creates a printer on a stream clock of `sampleRate`, writing lines through `write`.
    public init(sampleRate: Double, write: @escaping @Sendable (String) -> Void) {
        self.sampleRate = sampleRate
        self.write = write
    }

    /// See `MIDISink.send`.
    public func send(_ messages: [TimedMIDIMessage]) throws {
        for timed in messages where timed.message.isNoteOn {
            noteOnCount += 1
            let seconds = String(format: "%7.2f", Double(timed.frame) / sampleRate)
            let name = PitchMath.noteName(Int(timed.message.data1)).padding(toLength: 4, withPad: " ", startingAt: 0)
            write("\(seconds) s  answer  \(name) velocity \(timed.message.data2)  channel \(timed.message.channel + 1)")
        }
    }

    /// See `MIDISink.finish(at:)`.
    public func finish(at frame: FrameTime) throws {}
}
