import Foundation
public import ModelFormat
public import NeuralFeatures
import SampleRateAdapter

/// Embeds single musical events with a wav2vec 2.0 checkpoint, exactly the same way for training and live use:
/// the event's samples (cut by `NeuralEventWindow`) are resampled to the model's rate with libsamplerate,
/// padded, encoded on their own, and the chosen layer is mean-pooled over the event's frames.
///
/// Not thread-safe: one encoder per thread (the live worker owns one; training runs on one thread).
public final class NeuralEventEncoder: @unchecked Sendable {
    // @unchecked: the encoder's scratch buffers are used by one thread at a time (see above).

    /// Which checkpoint this is, pooling `last_hidden_state` (see `identity(layer:)`).
    public let identity: NeuralEncoderIdentity
    /// Which audio of an event is encoded.
    public let window: NeuralEventWindow
    private let model: Wav2Vec2Model
    private let encoder: Wav2Vec2Encoder
    private let grid: EncoderFrameGrid

    /// Loads the checkpoint in `directory`.
    public init(directory: String, window: NeuralEventWindow = NeuralEventWindow(), threads: Int = 1) throws {
        model = try Wav2Vec2CheckpointLoader.load(directory: directory)
        guard window.isValid else {
            throw NeuralFeaturesError.invalidArgument("the event window \(window) is not usable")
        }
        let base = URL(fileURLWithPath: directory)
        let digest = try ContentHash.ofFiles([
            base.appendingPathComponent("config.json").path, base.appendingPathComponent("model.safetensors").path,
        ])
        identity = NeuralEncoderIdentity(
            name: base.standardizedFileURL.lastPathComponent, digest: digest,
            hiddenSize: model.configuration.hiddenSize, layer: nil)
        self.window = window
        let rate = model.preprocessing.sampleRate
        grid = EncoderFrameGrid(configuration: model.configuration, sampleRate: rate)
        encoder = Wav2Vec2Encoder(
            model: model, multiplier: NeuralBackend.matrixMultiplier(threads: threads),
            reservingSamples: Int(window.maximumSeconds * Double(rate)) + 1)
    }

    /// The identity of this checkpoint pooling `layer` (a `hidden_states` index, nil for `last_hidden_state`).
    public func identity(layer: Int?) throws -> NeuralEncoderIdentity {
        let layers = model.configuration.layerCount
        if let layer, !(0...layers).contains(layer) {
            throw NeuralFeaturesError.invalidArgument(
                "layer \(layer) does not exist: the model has hidden states 0...\(layers)")
        }
        var result = identity
        result.layer = layer
        return result
    }

    /// The model's sample rate.
    public var modelSampleRate: Int { model.preprocessing.sampleRate }

    /// Why `vocabulary` cannot be used with this checkpoint, or nil when it can (same weights, width, window, and
    /// a layer the checkpoint has).
    public func mismatch(with vocabulary: NeuralVocabulary) -> String? {
        if vocabulary.encoder.digest != identity.digest || vocabulary.encoder.hiddenSize != identity.hiddenSize {
            return "the model's tokens come from encoder \(vocabulary.encoder.name) (\(vocabulary.encoder.digest)), "
                + "the daemon runs \(identity.name) (\(identity.digest))"
        }
        if vocabulary.window != window { return "the model encoded events with another window" }
        if let layer = vocabulary.encoder.layer, layer > model.configuration.layerCount {
            return "the model pools layer \(layer), which the checkpoint does not have"
        }
        return nil
    }

    /// The embedding of one event whose samples at `rate` start at its onset and are already cut to
    /// `window.eventFrames(...)`, pooling `layer` (nil: `last_hidden_state`); `[hiddenSize]`.
    public func embed(eventSamples: [Float], rate: Double, layer: Int?) throws -> [Float] {
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
        let output = try encoder.encode(chunk, request: Wav2Vec2Request(hiddenStateLayers: layer.map { [$0] } ?? []))
        let states = layer.map { output.hiddenStates[$0] ?? [] } ?? output.lastHiddenState
        let frames = window.pooledFrames(eventSamples: eventLength, frameCount: output.frameCount, grid: grid)
        return FramePooling.mean(states, frameCount: output.frameCount, width: output.hiddenSize, frames: frames)
    }
}
