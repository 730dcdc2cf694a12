import Dispatch
import Synchronization

/// Background model work (loads, saves) run one at a time on a serial queue, with a bound on what may wait.
///
/// A control surface, or a hostile sender, can ask faster than models load; each request beyond the bound is
/// refused at once instead of piling up tasks and memory.
final class ModelJobs: Sendable {
    /// Jobs that may be queued or running at once.
    static let capacity = 8
    /// Why a request was refused.
    static let busyReason = "busy: \(capacity) model loads or saves are already waiting; try again when one is done"

    private let queue: DispatchQueue
    private let pending = Atomic<Int>(0)

    /// A job queue named `label` (it shows in debuggers and crash reports).
    init(label: String) { queue = DispatchQueue(label: label, qos: .userInitiated) }

    /// Jobs queued or running.
    var count: Int { pending.load(ordering: .relaxed) }

    /// Queues `job`; false (and nothing queued) when `capacity` jobs are already waiting.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        guard pending.wrappingAdd(1, ordering: .relaxed).newValue <= Self.capacity else {
            pending.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        queue.async { [self] in
            job()
            pending.wrappingSubtract(1, ordering: .relaxed)
        }
        return true
    }
}
