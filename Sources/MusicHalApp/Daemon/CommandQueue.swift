import Improviser
import Synchronization

/// Batches of engine commands from the control thread and service tasks to the engine thread. The engine
/// drains it between blocks; a batch (one OSC bundle) is applied as a whole. Never touched by the audio callback,
/// so a lock is fine here.
final class CommandQueue: Sendable {
    private let batches = Mutex<[[EngineCommand]]>([])

    /// Queues commands to apply together.
    func submit(_ batch: [EngineCommand]) {
        guard !batch.isEmpty else { return }
        batches.withLock { $0.append(batch) }
    }

    /// Takes every queued batch, oldest first.
    func drain() -> [[EngineCommand]] {
        batches.withLock { queued in
            let taken = queued
            queued.removeAll()
            return taken
        }
    }
}
