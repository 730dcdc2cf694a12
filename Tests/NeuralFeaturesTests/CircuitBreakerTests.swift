import NeuralFeatures
import Testing

@Suite("Circuit breaker and event windows")
struct CircuitBreakerTests {
    @Test("opens after the failure limit, waits, lets one trial through, and closes on its success")
    func cycle() {
        var breaker = CircuitBreaker(failureLimit: 3, retrySeconds: 10)
        let allowed0 = breaker.allows(at: 0)
        #expect(allowed0)
        breaker.failed(at: 0, reason: "late")
        breaker.failed(at: 1, reason: "late")
        #expect(!breaker.isDegraded)
        breaker.failed(at: 2, reason: "late")
        #expect(breaker.state == .open(retryAt: 12, reason: "late"))
        #expect(breaker.isDegraded)
        let allowed11_9 = breaker.allows(at: 11.9)
        #expect(!allowed11_9)
        let allowed12 = breaker.allows(at: 12)
        #expect(allowed12)
        #expect(breaker.state == .halfOpen)
        let allowed12_5 = breaker.allows(at: 12.5)
        #expect(!allowed12_5)
        breaker.succeeded()
        #expect(breaker.state == .closed)
        #expect(breaker.openings == 1)
    }

    @Test("a failed trial opens it again at once")
    func failedTrial() {
        var breaker = CircuitBreaker(failureLimit: 5, retrySeconds: 2)
        for t in 0..<5 { breaker.failed(at: Double(t), reason: "x") }
        let allowed6 = breaker.allows(at: 6)
        #expect(allowed6)
        breaker.failed(at: 6, reason: "still late")
        #expect(breaker.state == .open(retryAt: 8, reason: "still late"))
        #expect(breaker.openings == 2)
    }

    @Test("a success in between resets the count")
    func reset() {
        var breaker = CircuitBreaker(failureLimit: 2, retrySeconds: 1)
        breaker.failed(at: 0, reason: "x")
        breaker.succeeded()
        breaker.failed(at: 1, reason: "x")
        #expect(!breaker.isDegraded)
    }

    @Test("event windows: capped, padded, and pooled over the event's own frames")
    func window() {
        let window = NeuralEventWindow(maximumSeconds: 1, minimumChunkSeconds: 0.1)
        #expect(window.eventFrames(durationFrames: 48_000 * 3, rate: 48_000) == 48_000)
        #expect(window.eventFrames(durationFrames: 2_400, rate: 48_000) == 2_400)
        #expect(window.eventFrames(durationFrames: 0, rate: 48_000) == 1)
        let padded = window.chunk([Float](repeating: 1, count: 800), rate: 16_000)
        #expect(padded.count == 1_600)
        #expect(padded[799] == 1 && padded[800] == 0)
        let grid = EncoderFrameGrid(hop: 320, receptiveField: 400, sampleRate: 16_000)
        // 0.05 s of event in a 0.1 s chunk: 4 frames exist, centres at 200, 520, 840, 1160; only 200 and 520 are
        // inside the event's 800 samples.
        #expect(window.pooledFrames(eventSamples: 800, frameCount: 4, grid: grid) == 0..<2)
        #expect(!NeuralEventWindow(maximumSeconds: .nan).isValid)
    }
}
