import Improviser
import ModelFormat
import MusicHalCore
import NeuralFeatures
import Testing

@Suite("Agent with neural tokens")
struct NeuralTokenAgentTests {
    static let rate = SimulatedMusic.sampleRate

    /// The same C-major melody twice; the first time it was "played" with tokens 0 and 1, the second with 2 and 3
    /// (as if by another instrument): only the tokens tell the halves apart.
    static func twoTimbreCorpus() throws -> (MusicHalModel, half: Int) {
        let pitches = SimulatedMusic.scaleWalk(scale: [0, 2, 4, 5, 7, 9, 11], count: 60, seed: 4)
        let rhythm = [0.25, 0.25, 0.5]
        let first = SimulatedMusic.melody(pitches, rhythm: rhythm)
        let second = SimulatedMusic.melody(pitches, rhythm: rhythm, start: 30)
        let plain = try SimulatedMusic.model(first + second)
        let tokens = (0..<120).map { index in (index < 60 ? 0 : 2) + index % 2 }
        let quantizer = SymbolicQuantizer.Parameters(
            inputDimension: 2, componentCount: 2, clusterCount: 4, mean: [0, 0], components: [1, 0, 0, 1],
            centroids: [1, 0, 0, 1, -1, 0, 0, -1])
        let vocabulary = NeuralVocabulary(
            encoder: NeuralEncoderIdentity(name: "test", digest: "d", hiddenSize: 2, layer: nil),
            window: NeuralEventWindow(), quantizer: quantizer, tokens: tokens)
        return (
            try MusicHalModel(
                metadata: plain.metadata, events: plain.events, oracle: plain.oracle, vocabulary: vocabulary), 60
        )
    }

    /// Fraction of the imitate phrases' states that lie in the corpus's second half, with or without live tokens.
    static func secondHalfShare(tokens: Bool, seed: UInt64) throws -> Double {
        let (model, half) = try twoTimbreCorpus()
        var parameters = AgentParameters()
        try parameters.set("density", to: 0.9)
        var agent = Improviser(sampleRate: rate, seed: seed, parameters: parameters, mode: .imitate)
        agent.load(model)
        agent.neuralTokensLive = tokens
        let input = SimulatedMusic.melody(
            SimulatedMusic.scaleWalk(scale: [0, 2, 4, 5, 7, 9, 11], count: 60, seed: 4).prefix(40).map { $0 },
            rhythm: [0.25, 0.25, 0.5, 1.5])
        var phrases: [Phrase] = []
        var next = 0
        let step = FrameTime(0.01 * rate)
        var now: FrameTime = 0
        while now < FrameTime(30 * rate) {
            now += step
            while next < input.count && input[next].onsetFrame <= now {
                phrases += agent.hearOnset(at: input[next].onsetFrame)
                next += 1
            }
            for (index, event) in input.enumerated() where event.offsetFrame > now - step && event.offsetFrame <= now {
                agent.hear(event, now: now)
                // The musician plays with the second timbre: tokens 2 and 3.
                if tokens { agent.hearToken(2 + index % 2, forEventAt: event.onsetFrame) }
            }
            phrases += agent.tick(now: now)
        }
        let states = phrases.filter { $0.voice == .melody }.flatMap(\.steps).map(\.state)
        #expect(states.count >= 20)
        return Double(states.filter { $0 > half }.count) / Double(max(1, states.count))
    }

    @Test("with live tokens, imitation follows the musician into the part of the memory with their tokens")
    func tokensSteerImitation() throws {
        for seed in [1, 2, 3] as [UInt64] {
            let with = try Self.secondHalfShare(tokens: true, seed: seed)
            let without = try Self.secondHalfShare(tokens: false, seed: seed)
            print("share of states in the input's timbre, seed \(seed): tokens \(with), features only \(without)")
            #expect(with >= 0.8)
            #expect(with > without + 0.2)
        }
    }

    @Test("learned events get their tokens in corpus order, even when the tokens arrive out of order")
    func learningTokens() throws {
        let (model, _) = try Self.twoTimbreCorpus()
        var agent = Improviser(sampleRate: Self.rate, seed: 1)
        agent.load(model)
        agent.isLearning = true
        agent.neuralTokensLive = true
        let input = SimulatedMusic.melody([60, 62, 64], rhythm: [0.5], start: 100)
        for event in input { agent.hear(event, now: event.offsetFrame) }
        #expect(agent.model?.vocabulary?.tokens.suffix(3) == [-1, -1, -1])
        agent.hearToken(3, forEventAt: input[2].onsetFrame)
        agent.hearToken(nil, forEventAt: input[0].onsetFrame)
        agent.hearToken(1, forEventAt: input[1].onsetFrame)
        #expect(agent.model?.vocabulary?.tokens.suffix(3) == [-1, 1, 3])
        // Tokens that never come are given up when the tokens stop.
        let more = SimulatedMusic.melody([65], rhythm: [0.5], start: 110)
        agent.hear(more[0], now: more[0].offsetFrame)
        agent.neuralTokensLive = false
        agent.hearToken(2, forEventAt: more[0].onsetFrame)
        #expect(agent.model?.vocabulary?.tokens.suffix(1) == [-1])
        #expect(agent.model?.events.count == 124)
    }

    @Test("tokens track the input through the token oracle")
    func tracking() throws {
        let (model, half) = try Self.twoTimbreCorpus()
        var agent = Improviser(sampleRate: Self.rate, seed: 1)
        agent.load(model)
        agent.neuralTokensLive = true
        // Tokens 2, 3, 2, 3 only occur in the second half.
        for (index, token) in [2, 3, 2, 3].enumerated() {
            agent.hearToken(token, forEventAt: FrameTime(index + 1))
        }
        #expect((agent.tokenTrackedState ?? 0) > half)
        // A token from the past (an older event) does not move the tracking.
        let before = agent.tokenTrackedState
        agent.hearToken(0, forEventAt: 2)
        #expect(agent.tokenTrackedState == before)
    }
}
