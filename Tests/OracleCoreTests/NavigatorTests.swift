import MusicHalCore
import OracleCore
import Testing

/// Seeded navigation: determinism, continuity, taboo, constraint filter, context and quality threshold.
@Suite("Oracle navigation")
struct NavigatorTests {
    static let symbols = TestData.randomSymbols(count: 600, alphabetSize: 3, seed: 2024)
    static let oracle: FactorOracle = {
        var oracle = FactorOracle()
        oracle.append(contentsOf: symbols)
        return oracle
    }()

    static func walk(
        seed: UInt64, parameters: NavigationParameters, count: Int = 400, from start: Int = 1,
        score: (Int) -> Double? = { _ in 1 }
    ) -> [NavigationStep] {
        var navigator = OracleNavigator(seed: seed)
        return navigator.walk(from: start, count: count, oracle: oracle, parameters: parameters, score: score)
    }

    @Test("the same seed gives the same walk, different seeds differ")
    func deterministicForSeed() {
        let parameters = NavigationParameters(continuity: 0.5, tabooWindow: 4)
        let first = Self.walk(seed: 7, parameters: parameters)
        let second = Self.walk(seed: 7, parameters: parameters)
        let other = Self.walk(seed: 8, parameters: parameters)
        #expect(first.count == 400)
        #expect(first == second)
        #expect(first.map(\.state) != other.map(\.state))
    }

    @Test("higher continuity gives longer runs of consecutive states")
    func continuityLengthensRuns() {
        func meanRunLength(_ continuity: Double) -> Double {
            let steps = Self.walk(seed: 11, parameters: NavigationParameters(continuity: continuity), count: 2000)
            let jumps = steps.filter(\.isJump).count
            return Double(steps.count) / Double(max(1, jumps))
        }
        let low = meanRunLength(0.2)
        let high = meanRunLength(0.9)
        #expect(high > 2.5 * low, "mean run length: continuity 0.2 → \(low), 0.9 → \(high)")
        #expect(low < 2.5, "continuity 0.2 should jump most of the time, got runs of \(low)")
    }

    @Test("forward moves go to the next state and jumps go to the successor of a context-sharing state")
    func movesAreWhatTheySay() {
        let parameters = NavigationParameters(continuity: 0.5, minimumContext: 2, tabooWindow: 0)
        let steps = Self.walk(seed: 3, parameters: parameters, count: 1000)
        let lastState = Self.oracle.stateCount - 1
        #expect(steps.contains { $0.isJump } && steps.contains { !$0.isJump })
        for step in steps {
            switch step.move {
            case .forward(let from, let to):
                #expect(to == (from < lastState ? from + 1 : 1))
            case .jump(let from, let to, let lrs):
                #expect(lrs >= 2)
                // The state before the target ends with the same `lrs` symbols as the origin.
                let pivot = to == 1 ? lastState : to - 1
                #expect(lrs <= min(from, pivot))
                let originContext = Array(Self.symbols[(from - lrs)..<from])
                let pivotContext = Array(Self.symbols[(pivot - lrs)..<pivot])
                #expect(originContext == pivotContext, "jump \(from) -> \(to) claims context \(lrs)")
            }
        }
    }

    @Test("taboo states are never revisited within the window", arguments: [1, 4, 16])
    func tabooRespected(window: Int) {
        let steps = Self.walk(seed: 5, parameters: NavigationParameters(continuity: 0.3, tabooWindow: window))
        #expect(steps.count > 50)
        var visited = [1]
        for step in steps {
            #expect(!visited.suffix(window).contains(step.state), "state \(step.state) revisited within \(window)")
            visited.append(step.state)
        }
    }

    @Test("the score filter is respected")
    func filterRespected() {
        let steps = Self.walk(seed: 9, parameters: NavigationParameters(continuity: 0.7, tabooWindow: 2), from: 2) {
            $0 % 2 == 0 ? 1 : nil
        }
        #expect(steps.count > 20)
        #expect(steps.allSatisfy { $0.state % 2 == 0 })
    }

    @Test("nothing is chosen when no candidate reaches the quality threshold")
    func nilWhenNothingPasses() {
        var navigator = OracleNavigator(seed: 1)
        let strict = NavigationParameters(qualityThreshold: 0.5)
        #expect(navigator.step(from: 10, oracle: Self.oracle, parameters: strict) { _ in 0.4 } == nil)
        #expect(navigator.step(from: 10, oracle: Self.oracle, parameters: strict) { _ in nil } == nil)
        #expect(navigator.step(from: 10, oracle: Self.oracle, parameters: strict) { _ in 0.5 } != nil)
        #expect(navigator.step(from: 0, oracle: FactorOracle(), parameters: strict) { _ in 1 } == nil)
        #expect(navigator.walk(from: 10, count: 5, oracle: Self.oracle, parameters: strict) { _ in 0.1 }.isEmpty)
    }

    @Test("a very low temperature picks the candidate with the longest context")
    func lowTemperaturePicksBest() {
        let parameters = NavigationParameters(continuity: 0, tabooWindow: 0, temperature: 0.001)
        var navigator = OracleNavigator(seed: 4)
        var checked = 0
        for state in stride(from: 20, to: 600, by: 7) {
            let step = navigator.step(from: state, oracle: Self.oracle, parameters: parameters) { _ in 1 }
            guard let step, step.isJump else { continue }
            let best = Self.oracle.lrs[state]  // the suffix link shares lrs[state]; nothing shares more
            var deeper = 0
            for child in Self.oracle.reverseSuffixLinks[state] { deeper = max(deeper, Self.oracle.lrs[child]) }
            #expect(step.lrs == max(best, deeper), "from \(state): chose context \(step.lrs)")
            checked += 1
        }
        #expect(checked > 20)
    }

    @Test("parameters are clamped into range")
    func parametersClamp() {
        var parameters = NavigationParameters(
            continuity: 3, minimumContext: -2, tabooWindow: 10_000, temperature: 0, qualityThreshold: .nan)
        #expect(parameters.continuity == 1)
        #expect(parameters.minimumContext == 1)
        #expect(parameters.tabooWindow == NavigationParameters.maximumTabooWindow)
        #expect(parameters.temperature > 0)
        #expect(parameters.qualityThreshold == 0.01)
        parameters.continuity = -1
        #expect(parameters.continuity == 0)
    }

    @Test("navigation works on a Variable Markov Oracle too")
    func navigatesAudioOracle() throws {
        let data = TestData.clusteredFrames(count: 300, dimension: 4, clusterCount: 6, noise: 0.2, seed: 5)
        var oracle = try VariableMarkovOracle(dimension: 4, threshold: 1)
        try oracle.append(contentsOf: data.frames)
        var navigator = OracleNavigator(seed: 12)
        let steps = navigator.walk(
            from: 1, count: 200, oracle: oracle, parameters: NavigationParameters(continuity: 0.5)
        ) { _ in 1 }
        #expect(steps.count == 200)
        #expect(steps.contains { $0.isJump })
        for step in steps where step.isJump {
            let pivot = step.state == 1 ? oracle.stateCount - 1 : step.state - 1
            // Labels along the shared context agree.
            for offset in 0..<step.lrs {
                #expect(oracle.labels[step.from - offset] == oracle.labels[pivot - offset])
            }
        }
    }
}
