import AudioFeatures
import AudioFileAdapter
import Dispatch
import FFTWAdapter
import Foundation
import ModelFormat
import MusicHalCore
import NeuralFeatures
import RealtimeSupport
import SampleRateAdapter
import Testing
import Training

@testable import MusicHalApp

/// The tiny post-LN checkpoint of `shared/fixtures/w2v` (32-D hidden states).
let tinyCheckpoint = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/fixtures/w2v/group_postln").standardizedFileURL.path

/// A tone at `hertz`, `seconds` long at 48 kHz.
private func tone(_ hertz: Double, seconds: Double = 0.2) -> [Float] {
    (0..<Int(seconds * 48_000)).map { Float(0.4 * sin(2 * Double.pi * hertz * Double($0) / 48_000)) }
}

/// A vocabulary fitted on the encoder's embeddings of a few tones.
private func vocabulary(for encoder: NeuralEventEncoder) throws -> NeuralVocabulary {
    let vectors = try [110.0, 220, 330, 440, 550, 660, 880, 990].map {
        try encoder.embed(eventSamples: tone($0), rate: 48_000, layer: nil)
    }
    let quantizer = try SymbolicQuantizer.fit(
        vectors: vectors, settings: SymbolicQuantizer.Settings(clusterCount: 4, seed: 2))
    return NeuralVocabulary(
        encoder: try encoder.identity(layer: nil), window: encoder.window, quantizer: quantizer.parameters,
        tokens: vectors.map { quantizer.token(for: $0) })
}

/// Collects results until `count` have arrived or five seconds pass.
private func results(_ tokenizer: LiveNeuralTokenizer, count: Int) -> [LiveNeuralTokenizer.Result] {
    var collected: [LiveNeuralTokenizer.Result] = []
    let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
    while collected.count < count && DispatchTime.now().uptimeNanoseconds < deadline {
        collected += tokenizer.takeResults()
        usleep(2_000)
    }
    return collected + tokenizer.takeResults()
}

@Suite("Live neural tokens", .serialized)
struct LiveNeuralTokenizerTests {
    @Test("the same event gets the same token live as in training")
    func matchesTraining() throws {
        let encoder = try NeuralEventEncoder(directory: tinyCheckpoint)
        let words = try vocabulary(for: encoder)
        let tokenizer = LiveNeuralTokenizer(encoder: encoder, deadlineSeconds: 5)
        #expect(tokenizer.use(words, modelName: "tones") == nil)
        tokenizer.start()
        defer { tokenizer.stop() }
        let frequencies = [110.0, 220, 330, 440, 550, 660, 880, 990]
        var got: [LiveNeuralTokenizer.Result] = []
        for (index, hertz) in frequencies.enumerated() {
            tokenizer.submit(onsetFrame: FrameTime(index * 10_000), samples: tone(hertz), rate: 48_000)
            got += results(tokenizer, count: 1)
        }
        #expect(got.map(\.onsetFrame) == (0..<8).map { FrameTime($0 * 10_000) })
        #expect(got.map(\.token) == words.tokens.map { Optional($0) })
        #expect(tokenizer.health == .ok)
        #expect(tokenizer.counters.encoded == 8)
    }

    @Test("missed deadlines open the breaker: degraded, work refused, retried later, closed when in time again")
    func circuitBreaker() throws {
        let encoder = try NeuralEventEncoder(directory: tinyCheckpoint)
        let tokenizer = LiveNeuralTokenizer(
            encoder: encoder, deadlineSeconds: 0.000_001, failureLimit: 3, retrySeconds: 0.3)
        tokenizer.use(try vocabulary(for: encoder), modelName: "tones")
        tokenizer.start()
        defer { tokenizer.stop() }
        var frame: FrameTime = 0
        func submit() {
            frame += 10_000
            tokenizer.submit(onsetFrame: frame, samples: tone(440), rate: 48_000)
        }
        for _ in 0..<3 {
            submit()
            _ = results(tokenizer, count: 1)
        }
        guard case .degraded(let reason) = tokenizer.health else {
            Issue.record("expected degraded, got \(tokenizer.health)")
            return
        }
        #expect(reason.contains("deadline") || reason.contains("waited"))
        // While open, every event is answered at once with no token, and nothing is encoded.
        let encodedBefore = tokenizer.counters.failures
        for _ in 0..<5 { submit() }
        let refused = tokenizer.takeResults()
        #expect(refused.count == 5 && refused.allSatisfy { $0.token == nil })
        #expect(tokenizer.counters.failures == encodedBefore)
        // After the wait one trial goes through; with a generous deadline it succeeds and tokens are back.
        tokenizer.deadlineSeconds = 5
        usleep(350_000)
        submit()
        let trial = results(tokenizer, count: 1)
        #expect(trial.count == 1 && trial[0].token != nil)
        #expect(tokenizer.health == .ok)
        #expect(tokenizer.counters.openings == 1)
    }

    @Test("every event gets exactly one result, even when far more arrive than the encoder can take")
    func oneResultPerEvent() throws {
        let encoder = try NeuralEventEncoder(directory: tinyCheckpoint)
        let tokenizer = LiveNeuralTokenizer(encoder: encoder, deadlineSeconds: 5, failureLimit: 1000)
        tokenizer.use(try vocabulary(for: encoder), modelName: "tones")
        tokenizer.start()
        defer { tokenizer.stop() }
        let second = tone(440, seconds: 1)
        for index in 0..<60 { tokenizer.submit(onsetFrame: FrameTime(index), samples: second, rate: 48_000) }
        let got = results(tokenizer, count: 60)
        #expect(got.count == 60)
        #expect(Set(got.map(\.onsetFrame)).count == 60)
        // The queue is a few events long: a burst beyond it is refused at once rather than queued.
        let counters = tokenizer.counters
        #expect(got.filter { $0.token != nil }.count == counters.encoded)
        #expect(got.filter { $0.token == nil }.count == counters.failures)
        #expect(counters.failures > 0 && counters.encoded >= LiveNeuralTokenizer.queueCapacity)
    }

    @Test("a model from another checkpoint, or none, switches tokens off with the reason")
    func mismatch() throws {
        let encoder = try NeuralEventEncoder(directory: tinyCheckpoint)
        var words = try vocabulary(for: encoder)
        words.encoder.digest = "fnv1a64:ffffffffffffffff"
        words.encoder.name = "wav2vec2-base"
        let tokenizer = LiveNeuralTokenizer(encoder: encoder, deadlineSeconds: 5)
        let reason = try #require(tokenizer.use(words, modelName: "set1"))
        #expect(reason.contains("wav2vec2-base") && reason.contains("set1"))
        #expect(tokenizer.health == .off(reason))
        #expect(tokenizer.use(nil, modelName: "plain")?.contains("no neural vocabulary") == true)
        tokenizer.submit(onsetFrame: 1, samples: tone(440), rate: 48_000)
        #expect(tokenizer.takeResults().isEmpty)
    }

    @Test("a broken checkpoint directory is one clear error")
    func brokenCheckpoint() {
        #expect(throws: (any Error).self) { try NeuralEventEncoder(directory: "/nonexistent/checkpoint") }
        do {
            _ = try NeuralEventEncoder(directory: "/nonexistent/checkpoint")
        } catch {
            #expect("\(error)".contains("/nonexistent/checkpoint"))
        }
    }
}

@Suite("Neural tokens: training and live agree")
struct NeuralTrainingLiveAgreementTests {
    static let demo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config/demo/minuet-in-g.flac").path

    @Test("every event of a recording gets the same token live (256-frame blocks) as in training (8192-frame blocks)")
    func sameTokens() throws {
        var runner = TrainingRunner(files: [Self.demo], threshold: .fixed(0.5), analysisSampleRate: 48_000)
        var options = NeuralTrainingOptions(checkpoint: tinyCheckpoint, layer: 1)
        options.vocabularySize = 16
        runner.neural = options
        let (model, summary) = try runner.train()
        let vocabulary = try #require(model.vocabulary)
        #expect(vocabulary.tokens.count == model.events.count)
        #expect(vocabulary.encoder.layer == 1)
        #expect((summary.neuralTokens?.used ?? 0) >= 8)

        // The live path, as the engine loop runs it.
        let encoder = try NeuralEventEncoder(directory: tinyCheckpoint)
        let tokenizer = LiveNeuralTokenizer(encoder: encoder, deadlineSeconds: 10, failureLimit: 1000)
        #expect(tokenizer.use(vocabulary, modelName: "minuet") == nil)
        tokenizer.start()
        defer { tokenizer.stop() }
        let source = try ResampledAudioSource(
            source: try SoundFileReader(path: Self.demo), targetRate: 48_000,
            factory: LibsamplerateConverterFactory())
        let listener = try StreamingListener(sampleRate: 48_000, fftProvider: FFTWProvider())
        var history = SampleHistory(capacity: 480_000)
        var outputs: [ListenerOutput] = []
        var liveTokens: [Int?] = []
        var liveOnsets: [FrameTime] = []
        func handle() {
            for case .event(let event) in outputs {
                let length = tokenizer.window.eventFrames(durationFrames: Int(event.durationFrames), rate: 48_000)
                let samples =
                    history.samples(from: event.onsetFrame, length: length)
                    ?? history.samples(
                        from: event.onsetFrame, length: Int(history.endFrame - min(history.endFrame, event.onsetFrame)))
                tokenizer.submit(onsetFrame: event.onsetFrame, samples: samples, rate: 48_000)
                let result = results(tokenizer, count: 1)
                liveTokens += result.map(\.token)
                liveOnsets.append(event.onsetFrame)
            }
            outputs.removeAll()
        }
        while let block = try source.nextBlock(maxFrames: 256) {
            history.append(block)
            listener.process(block, into: &outputs)
            handle()
        }
        listener.finish(into: &outputs)
        handle()
        #expect(liveOnsets == model.events.map(\.onsetFrame))
        #expect(liveTokens == vocabulary.tokens.map { Optional($0) })
    }
}
