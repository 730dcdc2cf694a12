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
    /// The decision records beside the MIDI file: `performance-….decisions.jsonl`.
    let decisionsPath: String
    private let decisionLines = Mutex<[String]>([])
    private let decisionFile = Mutex<FileHandle?>(nil)
    private let logger = Logger(label: "musichal.recording")

    init(path: String, sampleRate: Double, recordInput: Bool) throws {
        self.path = path
        decisionsPath = (path.hasSuffix(".mid") ? String(path.dropLast(4)) : path) + ".decisions.jsonl"
        sink = Mutex(try StandardMIDIFileSink(path: path, sampleRate: sampleRate, recordInput: recordInput))
    }

    /// Status service: decision records (JSON lines) to append to the log.
    func decided(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        decisionLines.withLock { $0.append(contentsOf: lines) }
    }

    /// Appends pending decision records; the log is append-only JSON lines, so a crash loses at most a line.
    private func writeDecisions() {
        let lines = decisionLines.withLock { pending in
            let taken = pending
            pending.removeAll(keepingCapacity: true)
            return taken
        }
        guard !lines.isEmpty else { return }
        decisionFile.withLock { file in
            if file == nil {
                _ = FileManager.default.createFile(atPath: decisionsPath, contents: nil)
                file = FileHandle(forWritingAtPath: decisionsPath)
                _ = try? file?.seekToEnd()
            }
            do {
                try file?.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
            } catch {
                logger.error("decision log: \(error)")
            }
        }
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
        writeDecisions()
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
        decisionFile.withLock { file in
            try? file?.close()
            file = nil
        }
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
