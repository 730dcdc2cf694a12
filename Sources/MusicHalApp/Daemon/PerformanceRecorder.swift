import Foundation
import Logging
import MusicHalCore
import Synchronization

/// Records a live performance as a Standard MIDI File without file I/O on the engine thread: the engine hands
/// over what it sent and heard; a service task writes, rewriting the file every five seconds of stream time.
final class PerformanceRecorder: Sendable {
    private let sink: Mutex<StandardMIDIFileSink>
    private let pending = Mutex<(messages: [TimedMIDIMessage], events: [MusicalEvent], lastFrame: FrameTime)>(
        ([], [], 0))
    let path: String
    private let logger = Logger(label: "musichal.recording")

    init(path: String, sampleRate: Double, recordInput: Bool) throws {
        self.path = path
        sink = Mutex(try StandardMIDIFileSink(path: path, sampleRate: sampleRate, recordInput: recordInput))
    }

    /// Engine thread: messages sent to the device (cheap: appends under a short lock).
    func sent(_ messages: [TimedMIDIMessage]) {
        guard !messages.isEmpty else { return }
        pending.withLock { pending in
            pending.messages.append(contentsOf: messages)
            pending.lastFrame = max(pending.lastFrame, messages.last!.frame)
        }
    }

    /// Engine thread: input events heard.
    func heard(_ events: [MusicalEvent]) {
        guard !events.isEmpty else { return }
        pending.withLock { $0.events.append(contentsOf: events) }
    }

    /// Service task: moves what the engine handed over into the file (written every few seconds).
    func drain() {
        let (messages, events) = pending.withLock { pending in
            let taken = (pending.messages, pending.events)
            pending.messages.removeAll(keepingCapacity: true)
            pending.events.removeAll(keepingCapacity: true)
            return taken
        }
        sink.withLock { sink in
            events.forEach(sink.recordInput)
            do {
                try sink.send(messages.sorted { $0.frame < $1.frame })
            } catch {
                logger.error("performance recording: \(error)")
            }
        }
    }

    /// Writes the complete file.
    func finish() {
        drain()
        let end = pending.withLock { $0.lastFrame }
        sink.withLock { sink in
            do {
                try sink.finish(at: end)
            } catch {
                logger.error("performance recording: \(error)")
            }
        }
    }
}
