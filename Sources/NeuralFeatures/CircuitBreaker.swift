/// Guards a helper that may fall behind or fail (the live encoder): after `failureLimit` failures in a row it
/// opens, and the caller uses its fallback; after `retrySeconds` it lets one trial through (half-open), which
/// closes it on success or opens it again on failure.
///
/// Pure: time is seconds on any monotonic clock the caller passes in.
public struct CircuitBreaker: Sendable, Equatable {
    /// Where the breaker stands.
    public enum State: Sendable, Equatable {
        /// Calls go through.
        case closed
        /// Calls are refused until `retryAt`; `reason` is the last failure.
        case open(retryAt: Double, reason: String)
        /// One trial call is in flight.
        case halfOpen
    }

    /// Consecutive failures that open the breaker.
    public let failureLimit: Int
    /// Seconds the breaker stays open before a trial.
    public let retrySeconds: Double
    /// Current state.
    public private(set) var state: State = .closed
    /// Failures since the last success.
    public private(set) var consecutiveFailures = 0
    /// Times the breaker has opened.
    public private(set) var openings = 0

    /// Creates a closed breaker.
    public init(failureLimit: Int = 3, retrySeconds: Double = 10) {
        self.failureLimit = max(1, failureLimit)
        self.retrySeconds = max(0, retrySeconds)
    }

    /// Whether a call may be made at `now`; an open breaker whose wait is over turns half-open and allows one.
    public mutating func allows(at now: Double) -> Bool {
        switch state {
        case .closed:
            return true
        case .halfOpen:
            return false
        case .open(let retryAt, _):
            guard now >= retryAt else { return false }
            state = .halfOpen
            return true
        }
    }

    /// Records a call that succeeded.
    public mutating func succeeded() {
        consecutiveFailures = 0
        state = .closed
    }

    /// Records a call that failed (missed its deadline, threw, or could not be queued) at `now`.
    public mutating func failed(at now: Double, reason: String) {
        consecutiveFailures += 1
        if state == .halfOpen || consecutiveFailures >= failureLimit {
            if case .open = state {} else { openings += 1 }
            state = .open(retryAt: now + retrySeconds, reason: reason)
        }
    }

    /// Whether the fallback is in use (open or half-open).
    public var isDegraded: Bool { state != .closed }
}
