import Dispatch
import Foundation
import Logging
import ModelFormat
import MusicHalCore
import NeuralFeatures
import Synchronization

/// Turns live events into neural tokens on a worker thread, off the audio path and off the engine thread.
///
/// Every event handed in gets exactly one result: its token, or nil when the encoder missed the event's deadline,
/// failed, was behind (the queue, a few events long, was full) or is resting after repeated misses. Repeated
/// misses open a `CircuitBreaker`: the tokenizer reports `degraded`, refuses work (the agent falls back to the
/// traditional features) and tries again after a while. Nothing here can grow without bound.
final class LiveNeuralTokenizer: Sendable {
    /// What the status stream says about the encoder.
    enum Health: Sendable, Equatable {
        /// Not in use, and why.
        case off(String)
        /// Tokens arrive in time.
        case ok
        /// The breaker is open or trying; the reason of the last failure.
        case degraded(String)

        /// `off`, `ok` or `degraded`.
        var word: String {
            switch self {
            case .off: "off"
            case .ok: "ok"
            case .degraded: "degraded"
            }
        }

        /// The reason, empty when all is well.
        var detail: String {
            switch self {
            case .off(let reason), .degraded(let reason): reason
            case .ok: ""
            }
        }
    }

    /// One event's outcome.
    struct Result: Sendable, Equatable {
        /// Onset of the event on the stream clock (what identifies it).
        var onsetFrame: FrameTime
        /// The token, or nil.
        var token: Int?
    }

    private struct Job: Sendable {
        var onsetFrame: FrameTime
        var samples: [Float]
        var rate: Double
        var submitted: Double
        var generation: Int
    }

    private struct Vocabulary: Sendable {
        var quantizer: SymbolicQuantizer
        var layer: Int?
    }

    private struct Shared: Sendable {
        var vocabulary: Vocabulary?
        var offReason = "no model with a neural vocabulary is loaded"
        var generation = 0
        var jobs: [Job] = []
        var results: [Result] = []
        var breaker: CircuitBreaker
        var encoded = 0
        var failures = 0
        var lastSeconds = 0.0
        var stopping = false

        mutating func record(_ result: Result) {
            if results.count >= LiveNeuralTokenizer.resultCapacity { results.removeFirst() }
            results.append(result)
        }
    }

    /// Jobs that may wait for the worker; more means it is behind.
    static let queueCapacity = 4
    /// Results kept for the engine; it drains them every cycle, so this only bounds a stalled engine.
    static let resultCapacity = 256

    private let encoder: NeuralEventEncoder
    private let deadline: Mutex<Double>
    private let shared: Mutex<Shared>
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    private let logger = Logger(label: "musichal.neural")

    /// A tokenizer over `encoder`; each event's token must be ready `deadlineSeconds` after it is handed in.
    init(encoder: NeuralEventEncoder, deadlineSeconds: Double, failureLimit: Int = 3, retrySeconds: Double = 10) {
        self.encoder = encoder
        deadline = Mutex(deadlineSeconds)
        shared = Mutex(Shared(breaker: CircuitBreaker(failureLimit: failureLimit, retrySeconds: retrySeconds)))
    }

    /// The encoder's checkpoint.
    var identity: NeuralEncoderIdentity { encoder.identity }

    /// Seconds from handing an event in to its token.
    var deadlineSeconds: Double {
        get { deadline.withLock { $0 } }
        set { deadline.withLock { $0 = newValue } }
    }

    /// Which audio of an event to hand in.
    var window: NeuralEventWindow { encoder.window }

    /// Starts the worker thread.
    func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in work() }
        thread.name = "musichal-neural"
        thread.start()
    }

    /// Stops the worker after the job in hand.
    func stop() {
        guard started.exchange(false, ordering: .acquiringAndReleasing) else { return }
        shared.withLock { $0.stopping = true }
        wake.signal()
        finished.wait()
    }

    /// Uses `vocabulary` (the loaded model's) from now on, or nothing; pending work for the old model is dropped.
    /// Returns why tokens are off, or nil when they are on.
    @discardableResult
    func use(_ vocabulary: NeuralVocabulary?, modelName: String?) -> String? {
        var configured: Vocabulary?
        var reason: String?
        if let vocabulary {
            if let mismatch = encoder.mismatch(with: vocabulary) {
                reason = "model \(modelName ?? "?"): \(mismatch)"
            } else if let quantizer = try? SymbolicQuantizer(parameters: vocabulary.quantizer) {
                configured = Vocabulary(quantizer: quantizer, layer: vocabulary.encoder.layer)
            } else {
                reason = "model \(modelName ?? "?"): its quantizer is unusable"
            }
        } else {
            reason =
                modelName.map { "model \($0) has no neural vocabulary (train it with --neural)" }
                ?? "no model is loaded"
        }
        shared.withLock { state in
            state.generation += 1
            state.vocabulary = configured
            state.offReason = reason ?? ""
            state.jobs.removeAll()
            state.results.removeAll()
        }
        if let reason { logger.notice("neural tokens off", metadata: ["reason": "\(reason)"]) }
        return reason
    }

    /// The current health.
    var health: Health {
        shared.withLock { state in
            guard state.vocabulary != nil else { return .off(state.offReason) }
            switch state.breaker.state {
            case .closed: return .ok
            case .open(_, let reason): return .degraded(reason)
            case .halfOpen: return .degraded("retrying")
            }
        }
    }

    /// Tokens made, failures, breaker openings, and the last encoding's seconds.
    var counters: (encoded: Int, failures: Int, openings: Int, lastSeconds: Double) {
        shared.withLock { ($0.encoded, $0.failures, $0.breaker.openings, $0.lastSeconds) }
    }

    /// Hands in an event's samples (from its onset, cut by `window`) at `rate`, or nil when its audio is gone.
    /// Returns at once; the result comes through `takeResults`.
    func submit(onsetFrame: FrameTime, samples: [Float]?, rate: Double) {
        let now = Self.now()
        let accepted = shared.withLock { state -> Bool in
            guard state.vocabulary != nil else { return false }
            guard let samples else {
                state.record(Result(onsetFrame: onsetFrame, token: nil))
                return false
            }
            guard state.breaker.allows(at: now) else {
                state.record(Result(onsetFrame: onsetFrame, token: nil))
                return false
            }
            guard state.jobs.count < Self.queueCapacity else {
                state.failures += 1
                state.breaker.failed(at: now, reason: "the encoder is behind (\(Self.queueCapacity) events waiting)")
                state.record(Result(onsetFrame: onsetFrame, token: nil))
                return false
            }
            state.jobs.append(
                Job(onsetFrame: onsetFrame, samples: samples, rate: rate, submitted: now, generation: state.generation))
            return true
        }
        if accepted { wake.signal() }
    }

    /// Results since the last call, in the order they were decided.
    func takeResults() -> [Result] {
        shared.withLock { state in
            let taken = state.results
            state.results.removeAll(keepingCapacity: true)
            return taken
        }
    }

    private func work() {
        while true {
            wake.wait()
            while let (job, vocabulary) = nextJob() {
                let begin = Self.now()
                let deadlineSeconds = self.deadlineSeconds
                var token: Int?
                var failure: String?
                // A job that waited past its deadline is not worth encoding: its answer would be too late.
                if begin - job.submitted > deadlineSeconds {
                    failure = "events waited \(Self.milliseconds(begin - job.submitted)) for the encoder"
                } else {
                    do {
                        let embedding = try encoder.embed(
                            eventSamples: job.samples, rate: job.rate, layer: vocabulary.layer)
                        token = vocabulary.quantizer.token(for: embedding)
                    } catch {
                        failure = "the encoder failed: \(error)"
                    }
                }
                let end = Self.now()
                if failure == nil, end - job.submitted > deadlineSeconds {
                    failure =
                        "encoding took \(Self.milliseconds(end - job.submitted)), deadline "
                        + Self.milliseconds(deadlineSeconds)
                    token = nil
                }
                let logged = shared.withLock { state -> String? in
                    guard state.generation == job.generation else { return nil }
                    state.lastSeconds = end - begin
                    let wasDegraded = state.breaker.isDegraded
                    if let failure {
                        state.failures += 1
                        state.breaker.failed(at: end, reason: failure)
                        state.record(Result(onsetFrame: job.onsetFrame, token: nil))
                        return !wasDegraded && state.breaker.isDegraded ? "opened: \(failure)" : nil
                    }
                    state.encoded += 1
                    state.breaker.succeeded()
                    state.record(Result(onsetFrame: job.onsetFrame, token: token))
                    return wasDegraded ? "closed: tokens are back" : nil
                }
                if let logged { logger.warning("neural circuit breaker \(logged)") }
            }
            if shared.withLock({ $0.stopping }) { break }
        }
        finished.signal()
    }

    private func nextJob() -> (Job, Vocabulary)? {
        shared.withLock { state in
            guard !state.stopping, !state.jobs.isEmpty, let vocabulary = state.vocabulary else { return nil }
            return (state.jobs.removeFirst(), vocabulary)
        }
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private static func milliseconds(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
}
