import Dispatch
import Foundation
import Improviser
import Logging
import MusicHalCore
import RealtimeSupport

private let logger = Logger(label: "musichal.session")

/// Streams an audio source through the engine the way the daemon does: a reader thread pushes blocks into a
/// lock-free ring (paced like a device, or as fast as possible), the engine thread takes them, decides, and
/// hands due MIDI to the sinks.
final class FileStreamingSession {
    /// Summary of a finished session.
    struct Report {
        var framesProcessed: FrameTime = 0
        var onsets = 0
        var events = 0
        var phrases = 0
        var notes = 0
        var endFrame: FrameTime = 0
    }

    private let source: any AudioSource
    private let engine: ImprovisationEngine
    private let sinks: [any MIDISink]
    private let paced: Bool
    private let blockFrames: Int
    private let onActivity: (EngineActivity) -> Void

    init(
        source: any AudioSource, engine: ImprovisationEngine, sinks: [any MIDISink], paced: Bool,
        blockFrames: Int = 256, onActivity: @escaping (EngineActivity) -> Void = { _ in }
    ) {
        self.source = source
        self.engine = engine
        self.sinks = sinks
        self.paced = paced
        self.blockFrames = blockFrames
        self.onActivity = onActivity
    }

    /// Runs until the source ends and the agent's last phrase has played; ends with a panic so nothing hangs.
    func run() throws -> Report {
        let sampleRate = source.sampleRate
        let ring = AudioBlockRing(minimumSlots: 64, maxBlockFrames: blockFrames)
        let ready = DispatchSemaphore(value: 0)
        let reader = BlockReader(source: source, ring: ring, ready: ready, paced: paced, blockFrames: blockFrames)
        let thread = Thread { reader.run() }
        thread.name = "musichal-reader"
        thread.start()

        var report = Report()
        try send(engine.start(at: 0))
        var block = AudioBlock(startFrame: 0, sampleRate: sampleRate, samples: [])
        block.samples.reserveCapacity(blockFrames)
        while true {
            if ring.pop(into: &block) {
                let activity = engine.process(block)
                record(activity, into: &report)
                report.framesProcessed += FrameTime(block.frameCount)
                try send(engine.popDue(before: block.endFrame))
                continue
            }
            if reader.isFinished && ring.pendingBlocks == 0 { break }
            ready.wait()
        }
        if let error = reader.failure { throw error }
        if ring.droppedBlocks > 0 {
            logger.warning(
                "audio blocks dropped: the engine fell behind", metadata: ["blocks": "\(ring.droppedBlocks)"])
        }

        // The input has ended: complete the last event, then let the answer in progress play out in silence.
        record(engine.finishInput(), into: &report)
        var frame = engine.currentFrame
        let limit = frame + FrameTime(10 * sampleRate)
        let start = Date()
        let startFrame = frame
        while let due = engine.nextDueFrame, due < limit {
            frame = max(frame, due + 1)
            if paced {
                let wait = Double(frame - startFrame) / sampleRate - Date().timeIntervalSince(start)
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
            try send(engine.popDue(before: frame))
        }
        try send(engine.panic(at: frame))
        for sink in sinks { try sink.finish(at: frame) }
        report.endFrame = frame
        return report
    }

    private func record(_ activity: EngineActivity, into report: inout Report) {
        report.onsets += activity.onsets.count
        report.events += activity.events.count
        report.phrases += activity.phrases.count
        report.notes += activity.phrases.reduce(0) { $0 + $1.notes.count }
        onActivity(activity)
    }

    private func send(_ messages: [TimedMIDIMessage]) throws {
        guard !messages.isEmpty else { return }
        for sink in sinks { try sink.send(messages) }
    }
}

/// The reader thread: decodes blocks and pushes them into the ring, like a sound card's driver would.
private final class BlockReader: @unchecked Sendable {
    // @unchecked: after `run()` starts, `source` is used only by the reader thread; `finished` and `failure`
    // are written before the final semaphore signal and read by the engine thread after it.
    private let source: any AudioSource
    private let ring: AudioBlockRing
    private let ready: DispatchSemaphore
    private let paced: Bool
    private let blockFrames: Int
    private let lock = NSLock()
    private var finished = false
    private var error: (any Error)?

    init(source: any AudioSource, ring: AudioBlockRing, ready: DispatchSemaphore, paced: Bool, blockFrames: Int) {
        self.source = source
        self.ring = ring
        self.ready = ready
        self.paced = paced
        self.blockFrames = blockFrames
    }

    var isFinished: Bool { lock.withLock { finished } }
    var failure: (any Error)? { lock.withLock { error } }

    func run() {
        let start = Date()
        let sampleRate = source.sampleRate
        do {
            while let block = try source.nextBlock(maxFrames: blockFrames) {
                if paced {
                    // A device delivers a block once its last sample has been captured.
                    let due = Double(block.endFrame) / sampleRate - Date().timeIntervalSince(start)
                    if due > 0 { Thread.sleep(forTimeInterval: due) }
                }
                // A file is not a device: rather than drop a block, wait for the engine to catch up.
                while ring.isFull {
                    ready.signal()
                    Thread.sleep(forTimeInterval: 0.0005)
                }
                _ = block.samples.withUnsafeBufferPointer { ring.push(startFrame: block.startFrame, samples: $0) }
                ready.signal()
            }
        } catch {
            lock.withLock { self.error = error }
        }
        lock.withLock { finished = true }
        ready.signal()
    }
}
