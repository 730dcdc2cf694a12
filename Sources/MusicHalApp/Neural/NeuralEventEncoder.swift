import Foundation
public import ModelFormat
public import NeuralFeatures
import SampleRateAdapter

/// Embeds single musical events with a wav2vec 2.0 checkpoint, exactly the same way for training and live use:
/// the event's samples (cut by `NeuralEventWindow`) are resampled to the model's rate with libsamplerate,
/// padded, encoded on their own, and the chosen layer is mean-pooled over the event's frames.
///
/// Not thread-safe: one encoder per thread (the live worker owns one; training runs on one thread).
public final class NeuralEventEncoder {
    /// Which checkpoint and layer this is (recorded in models, checked against them live).
    public let identity: NeuralEncoderIdentity
    /// Which audio of an event is encoded.
    public let window: NeuralEventWindow
    private let model: Wav2Vec2Model
    private let encoder: Wav2Vec2Encoder
    private let grid: EncoderFrameGrid
    private let request: Wav2Vec2Request

    /// Loads the checkpoint in `directory`; `layer` is a `hidden_states` index, nil for `last_hidden_state`.
    public init(directory: String, layer: Int?, window: NeuralEventWindow = NeuralEventWindow(), threads: Int = 1)
        throws
    {
        model = try Wav2Vec2CheckpointLoader.load(directory: directory)
        let layers = model.configuration.layerCount
        if let layer, !(0...layers).contains(layer) {
            throw NeuralFeaturesError.invalidArgument(
                "layer \(layer) does not exist: the model has hidden states 0...\(layers)")
        }
        guard window.isValid else {
            throw NeuralFeaturesError.invalidArgument("the event window \(window) is not usable")
        }
        let base = URL(fileURLWithPath: directory)
        let digest = try ContentHash.ofFiles([
            base.appendingPathComponent("config.json").path, base.appendingPathComponent("model.safetensors").path,
        ])
        identity = NeuralEncoderIdentity(
            name: base.standardizedFileURL.lastPathComponent, digest: digest,
            hiddenSize: model.configuration.hiddenSize, layer: layer)
        self.window = window
        let rate = model.preprocessing.sampleRate
        grid = EncoderFrameGrid(configuration: model.configuration, sampleRate: rate)
        encoder = Wav2Vec2Encoder(
            model: model, multiplier: NeuralBackend.matrixMultiplier(threads: threads),
            reservingSamples: Int(window.maximumSeconds * Double(rate)) + 1)
        request = Wav2Vec2Request(hiddenStateLayers: layer.map { [$0] } ?? [])
    }

    /// The model's sample rate.
    public var modelSampleRate: Int { model.preprocessing.sampleRate }

    /// Whether `vocabulary` was made by this checkpoint and layer (the same digest, width and layer).
    public func matches(_ vocabulary: NeuralVocabulary) -> Bool {
        vocabulary.encoder.digest == identity.digest && vocabulary.encoder.hiddenSize == identity.hiddenSize
            && vocabulary.encoder.layer == identity.layer && vocabulary.window == window
    }

    /// The embedding of one event whose samples at `rate` start at its onset and are already cut to
    /// `window.eventFrames(...)`; `[hiddenSize]`.
    public func embed(eventSamples: [Float], rate: Double) throws -> [Float] {
        guard !eventSamples.isEmpty, rate > 0 else {
            throw NeuralFeaturesError.invalidArgument("an event needs at least one sample")
        }
        let modelRate = Double(modelSampleRate)
        var resampled: [Float]
        if rate == modelRate {
            resampled = eventSamples
        } else {
            let converter = try LibsamplerateConverter(from: rate, to: modelRate)
            resampled = []
            resampled.reserveCapacity(Int(Double(eventSamples.count) * modelRate / rate) + 64)
            try eventSamples.withUnsafeBufferPointer {
                try converter.process($0, endOfInput: true, into: &resampled)
            }
            if resampled.isEmpty { resampled = [0] }
        }
        let eventLength = resampled.count
        let chunk = window.chunk(resampled, rate: modelRate)
        let output = try encoder.encode(chunk, request: request)
        let states = identity.layer.map { output.hiddenStates[$0] ?? [] } ?? output.lastHiddenState
        let frames = window.pooledFrames(eventSamples: eventLength, frameCount: output.frameCount, grid: grid)
        return FramePooling.mean(states, frameCount: output.frameCount, width: output.hiddenSize, frames: frames)
    }
}
