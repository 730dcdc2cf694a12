import Glibc

/// The engine thread's wake-up: a POSIX semaphore, because `sem_post` is safe to call from the real-time audio
/// callback (no allocation, no lock, no intercepted syscall wrapper), unlike a dispatch semaphore.
final class EngineWakeup: @unchecked Sendable {
    // @unchecked: a sem_t is designed to be shared between threads; it is only touched through sem_* calls.
    private let semaphore: UnsafeMutablePointer<sem_t>

    init() {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    /// Wakes the engine (real-time safe).
    func signal() { sem_post(semaphore) }

    /// Waits until woken or `milliseconds` pass.
    func wait(milliseconds: Int) {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        deadline.tv_nsec += milliseconds * 1_000_000
        deadline.tv_sec += deadline.tv_nsec / 1_000_000_000
        deadline.tv_nsec %= 1_000_000_000
        while sem_timedwait(semaphore, &deadline) != 0 && errno == EINTR {}
    }
}
