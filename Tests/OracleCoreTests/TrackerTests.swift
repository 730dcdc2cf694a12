import MusicHalCore
import OracleCore
import Testing

/// Following live input through an oracle.
@Suite("Oracle tracking")
struct TrackerTests {
    static let data = TestData.clusteredFrames(count: 400, dimension: 8, clusterCount: 10, noise: 0.15, seed: 77)
    static let oracle: VariableMarkovOracle = {
        // Clusters are far apart (centres uniform in [-2, 2]^8) and each spans < 0.85, so 1.0 separates them.
        var oracle = try! VariableMarkovOracle(dimension: 8, threshold: 1.0)
        try! oracle.append(contentsOf: data.frames)
        return oracle
    }()

    @Test("training frames with small noise are followed state by state")
    func followsTrainingFrames() {
        var tracker = OracleTracker()
        var generator = SeededRandomGenerator(seed: 1)
        var mismatches: [Int] = []
        for (index, frame) in Self.data.frames.enumerated() {
            let result = tracker.observe(TestData.perturbed(frame, amount: 0.001, using: &generator), in: Self.oracle)
            if index >= 3 && result.state != index + 1 { mismatches.append(index) }
            if index >= 3 { #expect(result.move == .forward || result.state != index + 1) }
        }
        #expect(mismatches.isEmpty, "lost the training sequence at inputs \(mismatches.prefix(10))")
        #expect(tracker.currentState == Self.oracle.stateCount - 1)
    }

    @Test("recovers after a burst of unrelated frames")
    func recoversAfterNoise() {
        var tracker = OracleTracker()
        var generator = SeededRandomGenerator(seed: 2)
        for frame in Self.data.frames.prefix(100) {
            _ = tracker.observe(TestData.perturbed(frame, amount: 0.001, using: &generator), in: Self.oracle)
        }
        #expect(tracker.currentState == 100)
        for _ in 0..<10 {
            let unrelated = (0..<8).map { _ in 50 + TestData.uniform(0...10, using: &generator) }
            let result = tracker.observe(unrelated, in: Self.oracle)
            #expect(result.state == nil && result.move == .lost)
        }
        var recoveredAt: Int?
        for index in 200..<260 {
            let frame = TestData.perturbed(Self.data.frames[index], amount: 0.001, using: &generator)
            let result = tracker.observe(frame, in: Self.oracle)
            if result.state == index + 1 && recoveredAt == nil { recoveredAt = index }
            if let recoveredAt, index > recoveredAt { #expect(result.state == index + 1) }
        }
        #expect((recoveredAt ?? .max) <= 205, "recovered only at input \(String(describing: recoveredAt))")
    }

    @Test("a held frame stays on its state and invalid frames are ignored")
    func holdAndIgnore() throws {
        var oracle = try VariableMarkovOracle(dimension: 2, threshold: 0.5)
        try oracle.append(contentsOf: [[0, 0], [3, 0], [0, 3], [3, 3]])
        var tracker = OracleTracker()
        #expect(tracker.observe([3, 0.1], in: oracle) == TrackingResult(state: 2, move: .reentry, distance: 0.1))
        #expect(tracker.observe([0, 2.9], in: oracle).move == .forward)
        #expect(tracker.observe([0.1, 3], in: oracle).move == .hold)
        #expect(tracker.observe([0.1, .nan], in: oracle) == TrackingResult(state: 3, move: .ignored, distance: nil))
        #expect(tracker.observe([1, 1, 1] as [Double], in: oracle).move == .ignored)
        #expect(tracker.currentState == 3)
        #expect(tracker.observe([3.2, 3], in: oracle).state == 4)
        tracker.reset()
        #expect(tracker.currentState == nil)
    }

    @Test("following by suffix link when the forward transitions do not match")
    func suffixFallback() throws {
        // a b c a b d : after "a b" at state 5 the input "c" is not a forward transition of 5 (only d, 6 is),
        // but the suffix link of 5 (state 2, also "a b") continues with c.
        var oracle = FactorOracle()
        oracle.append(contentsOf: [1, 2, 3, 1, 2, 4])
        var tracker = OracleTracker()
        #expect(tracker.observe(symbol: 1, in: oracle) == TrackingResult(state: 1, move: .reentry, distance: nil))
        #expect(tracker.observe(symbol: 2, in: oracle).state == 2)
        #expect(tracker.observe(symbol: 3, in: oracle).state == 3)
        #expect(tracker.observe(symbol: 1, in: oracle).state == 4)
        #expect(tracker.observe(symbol: 2, in: oracle).state == 5)
        let fallback = tracker.observe(symbol: 3, in: oracle)
        #expect(fallback.state == 3 && fallback.move == .suffix(depth: 1))
    }

    @Test("a symbol stream is followed through a Factor Oracle and recovers after unknown symbols")
    func symbolicTracking() {
        let symbols = TestData.randomSymbols(count: 300, alphabetSize: 4, seed: 31)
        var oracle = FactorOracle()
        oracle.append(contentsOf: symbols)
        var tracker = OracleTracker()
        for (index, symbol) in symbols.enumerated() {
            #expect(tracker.observe(symbol: symbol, in: oracle).state == index + 1)
        }
        #expect(tracker.observe(symbol: 99, in: oracle) == TrackingResult(state: nil, move: .lost, distance: nil))
        let reentry = tracker.observe(symbol: symbols[0], in: oracle)
        #expect(reentry.state == 1 && reentry.move == .reentry)
    }
}
