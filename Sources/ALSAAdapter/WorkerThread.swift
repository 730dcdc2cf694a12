import CALSA
import Glibc

/// Nanoseconds on the monotonic clock (real-time safe: `clock_gettime` is a vDSO call).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// Nanoseconds in a `Duration`, clamped at zero.
func nanoseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    guard seconds >= 0 else { return 0 }
    return UInt64(seconds) &* 1_000_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000)
}

/// Sleeps the calling thread (never the real-time one).
func sleepNanoseconds(_ duration: UInt64) {
    var request = timespec(tv_sec: Int(duration / 1_000_000_000), tv_nsec: Int(duration % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

/// A counting semaphore that wakes a worker thread. `signal` is real-time safe (`sem_post` neither blocks nor
/// allocates), so callbacks may use it.
final class WakeSignal: @unchecked Sendable {
    // @unchecked: a POSIX semaphore is made for use from any thread; the pointer itself never changes.
    private let semaphore: UnsafeMutablePointer<sem_t>

    init() {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    /// Wakes one waiter (or the next wait).
    func signal() { sem_post(semaphore) }

    /// Waits until signalled or until `timeout` nanoseconds have passed; true when signalled.
    @discardableResult
    func wait(timeout: UInt64) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let total = UInt64(deadline.tv_nsec) + timeout % 1_000_000_000
        deadline.tv_sec += Int(timeout / 1_000_000_000 + total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        while sem_timedwait(semaphore, &deadline) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }
}

/// A plain POSIX thread running one closure, joined explicitly.
final class WorkerThread: Sendable {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let handle: pthread_t

    /// Starts `body` on a new thread; `name` identifies it in the failure message.
    init(name: String, body: @escaping @Sendable () -> Void) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let result = pthread_create(
            &thread, nil,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                body.run()
                return nil
            }, context)
        precondition(result == 0, "cannot create thread \(name): error \(result)")
        handle = thread
    }

    /// Waits for the thread to finish.
    func join() { pthread_join(handle, nil) }
}
