import Synchronization

/// Lock-step between the process callback and the engine while the JACK server freewheels.
///
/// In real time the callback never waits: the engine runs on its own thread a period behind, fed through the
/// bridge's rings, and keeps up because the server paces the cycles. In freewheel the server starts the next
/// cycle as soon as every client returned, so an engine slower than the graph falls behind: input blocks
/// overflow the ring and answers come out late, by amounts that depend on thread scheduling. JACK drops the
/// process thread's real-time priority while freewheeling, so there the callback may block: before it writes a
/// cycle's MIDI it waits until the engine has consumed every block pushed in earlier cycles, and with them handed
/// over every message due in this cycle. A freewheeling render then carries the same MIDI at the same frames as a
/// real-time run whose engine keeps up.
final class FreewheelHandOff: Sendable {
    /// Engine progress meaning "do not wait": before the engine first reports (an engine that never reports, as in
    /// tests driving the bridge directly, is never waited for) and after it stopped.
    static let notWaiting = UInt64.max

    /// How long one cycle waits at most. Far above what the engine needs for a block; far below JACK's freewheel
    /// client timeout (10 s). A wait that runs out marks the engine stalled, and later cycles stop waiting until
    /// it has caught up, so a stuck or stopped engine cannot stall the graph.
    static let timeoutNanoseconds: UInt64 = 500_000_000

    /// Waits that ran out (the engine did not catch up in time).
    let stalls = Atomic<UInt64>(0)

    private let consumedThrough = Atomic<UInt64>(notWaiting)
    private let waiterAsleep = Atomic<Bool>(false)
    private let wake = WakeSignal()

    /// Engine thread: every input block up to `frame` was processed and every MIDI message due in the following
    /// period was pushed. `notWaiting` when the engine stops.
    func engineConsumed(through frame: UInt64) {
        // Sequentially consistent with the waiter's flag and re-check: either the waiter sees the new progress,
        // or this sees the waiter asleep and wakes it.
        consumedThrough.store(frame, ordering: .sequentiallyConsistent)
        if waiterAsleep.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
    }

    /// True when the engine has consumed input through `frame` (or does not take part).
    func engineHasConsumed(through frame: UInt64) -> Bool {
        consumedThrough.load(ordering: .sequentiallyConsistent) >= frame
    }

    /// Process thread, freewheel only (it blocks): waits until the engine has consumed input through `frame`.
    /// False when the timeout ran out.
    func waitForEngine(through frame: UInt64) -> Bool {
        if engineHasConsumed(through: frame) { return true }
        let deadline = monotonicNanoseconds() + Self.timeoutNanoseconds
        while true {
            waiterAsleep.store(true, ordering: .sequentiallyConsistent)
            let caughtUp = engineHasConsumed(through: frame)
            let now = monotonicNanoseconds()
            if caughtUp || now >= deadline {
                withdraw()
                if !caughtUp { stalls.wrappingAdd(1, ordering: .relaxed) }
                return caughtUp
            }
            // Woken by the engine, which cleared the flag, or timed out; either way look again.
            wake.wait(timeout: deadline - now)
        }
    }

    /// Takes the waiter's flag back. When the engine took it first, its wake-up is on the way: consume it, so
    /// no stale wake-up is left for the next wait.
    private func withdraw() {
        if !waiterAsleep.exchange(false, ordering: .sequentiallyConsistent) { wake.wait(timeout: 1_000_000_000) }
    }
}
