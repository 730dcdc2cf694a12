import Foundation
import NeuralFeatures

/// What `musichal embed` computes for one recording.
public struct EmbeddingReport: Sendable {
    /// Encoder frames T.
    public var frames: Int
    /// Width of the hidden states D.
    public var dimension: Int
    /// Mean over time of the chosen hidden state, `[D]`.
    public var pooled: [Float]
    /// `last_hidden_state` as `T` rows of `D`, when requested.
    public var lastHiddenState: [[Float]]?
    /// Wall-clock milliseconds of each timed encoder run (normalisation + forward pass), when requested.
    public var timingsMilliseconds: [Double]
    /// The kernel family OpenBLAS chose (recorded with benchmarks).
    public var openBLASCore: String
}

/// Runs a checkpoint on a recording: `musichal embed`.
public enum EmbeddingRunner: Sendable {
    /// Options of one run.
    public struct Options: Sendable {
        /// `hidden_states` index to pool (0 = input of the first transformer layer), or nil for
        /// `last_hidden_state`.
        public var layer: Int?
        /// Whether to return `last_hidden_state` in full.
        public var includeLastHiddenState = false
        /// OpenBLAS threads.
        public var threads = 1
        /// Untimed runs before the timed ones.
        public var warmupRuns = 0
        /// Timed runs (0: one untimed run).
        public var timedRuns = 0

        /// Default options: pool `last_hidden_state`, one thread, no timing.
        public init() {}
    }

    /// Loads the checkpoint in `modelDirectory`, reads `audioPath` at the model's rate and encodes it.
    public static func run(modelDirectory: String, audioPath: String, options: Options) throws -> EmbeddingReport {
        let model = try Wav2Vec2CheckpointLoader.load(directory: modelDirectory)
        let layers = model.configuration.layerCount
        if let layer = options.layer, !(0...layers).contains(layer) {
            throw NeuralFeaturesError.invalidArgument(
                "--layer \(layer) does not exist: the model has hidden states 0...\(layers)")
        }
        let audio = try NeuralAudioReader.readMono(path: audioPath, sampleRate: model.preprocessing.sampleRate)
        let encoder = Wav2Vec2Encoder(
            model: model, multiplier: NeuralBackend.matrixMultiplier(threads: options.threads),
            reservingSamples: audio.count)
        let request = Wav2Vec2Request(hiddenStateLayers: options.layer.map { [$0] } ?? [])
        do {
            for _ in 0..<options.warmupRuns { _ = try encoder.encode(audio, request: request) }
            var timings: [Double] = []
            var result: Wav2Vec2Output?
            let clock = ContinuousClock()
            for _ in 0..<max(1, options.timedRuns) {
                let start = clock.now
                result = try encoder.encode(audio, request: request)
                let elapsed = clock.now - start
                timings.append(
                    Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            }
            if options.timedRuns == 0 { timings = [] }
            let output = result!
            let states = options.layer.map { output.hiddenStates[$0]! } ?? output.lastHiddenState
            let width = output.hiddenSize
            let pooled = FramePooling.mean(
                states, frameCount: output.frameCount, width: width, frames: 0..<output.frameCount)
            let rows =
                options.includeLastHiddenState
                ? (0..<output.frameCount).map { Array(output.lastHiddenState[($0 * width)..<(($0 + 1) * width)]) } : nil
            return EmbeddingReport(
                frames: output.frameCount, dimension: width, pooled: pooled, lastHiddenState: rows,
                timingsMilliseconds: timings, openBLASCore: NeuralBackend.openBLASCoreName)
        } catch let error as NeuralFeaturesError {
            throw NeuralFeaturesError.invalidArgument("\(audioPath): \(error)")
        }
    }
}
