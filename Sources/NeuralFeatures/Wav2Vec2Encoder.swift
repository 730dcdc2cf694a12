/// Runs a `Wav2Vec2Model` forward pass (wav2vec2.md §1-8) on mono audio at the model's sample rate.
///
/// All activations live in scratch buffers owned by the encoder and reused across calls; they grow only when a
/// longer input than any before arrives (reserve the longest window up front to avoid even that). The
/// arithmetic-heavy steps go through the `MatrixMultiplier`; everything is float32 in a time-major layout
/// (`[frames, channels]`), so no transposes are needed between stages.
///
/// Not thread-safe: one encoder per thread (they can share one model).
public final class Wav2Vec2Encoder {
    /// The weights being run.
    public let model: Wav2Vec2Model
    private let multiplier: any MatrixMultiplier

    private var samples = ScratchBuffer<Float>()
    private var patch = ScratchBuffer<Float>()
    private var convA = ScratchBuffer<Float>()
    private var convB = ScratchBuffer<Float>()
    private var statistics = ScratchBuffer<Double>()
    private var factors = ScratchBuffer<Float>()
    private var features = ScratchBuffer<Float>()
    private var projection = ScratchBuffer<Float>()
    private var position = ScratchBuffer<Float>()
    private var hidden = ScratchBuffer<Float>()
    private var normed = ScratchBuffer<Float>()
    private var query = ScratchBuffer<Float>()
    private var key = ScratchBuffer<Float>()
    private var value = ScratchBuffer<Float>()
    private var context = ScratchBuffer<Float>()
    private var residual = ScratchBuffer<Float>()
    private var intermediate = ScratchBuffer<Float>()
    private var scores = ScratchBuffer<Float>()

    /// Smallest amount of element-wise work (values) worth handing to another thread.
    private static let elementChunk = 16384
    /// Frames of the positional convolution computed per GEMM (bounds the im2col patch for long inputs).
    private static let positionalChunk = 64
    /// Epsilon of the feature encoder's GroupNorm/LayerNorm (torch's default, not `layer_norm_eps`).
    static let convolutionEpsilon: Float = 1e-5

    /// Creates an encoder; `reservingSamples` sizes the scratch memory for inputs up to that length now.
    public init(model: Wav2Vec2Model, multiplier: any MatrixMultiplier, reservingSamples: Int = 0) {
        self.model = model
        self.multiplier = multiplier
        if reservingSamples >= model.configuration.receptiveField { reserve(samples: reservingSamples) }
    }

    /// Sizes every scratch buffer for an input of `count` samples.
    public func reserve(samples count: Int) {
        let c = model.configuration
        var length = count
        var largestConvolution = 0
        var largestPatch = 0
        var inputChannels = 1
        for layer in model.convolutions {
            guard length >= layer.kernel else { return }
            length = (length - layer.kernel) / layer.stride + 1
            largestConvolution = max(largestConvolution, length * layer.outputChannels)
            if layer.kernel > layer.stride && inputChannels < 64 {
                largestPatch = max(largestPatch, length * layer.kernel * inputChannels)
            }
            inputChannels = layer.outputChannels
        }
        let frames = length
        let widest = c.convolutionChannels.max() ?? 1
        let groupWidth = c.hiddenSize / c.positionalGroups
        let chunk = min(frames, Self.positionalChunk)
        let positionalTaps = min(c.positionalKernel, chunk + frames - 1)
        samples.reserve(count)
        patch.reserve(max(largestPatch, chunk * positionalTaps * groupWidth))
        convA.reserve(largestConvolution)
        convB.reserve(largestConvolution)
        statistics.reserve(2 * widest)
        factors.reserve(2 * widest)
        features.reserve(frames * c.featureChannels)
        let hiddenCount = frames * c.hiddenSize
        projection.reserve(hiddenCount)
        position.reserve(hiddenCount)
        hidden.reserve(hiddenCount)
        normed.reserve(hiddenCount)
        query.reserve(hiddenCount)
        key.reserve(hiddenCount)
        value.reserve(hiddenCount)
        context.reserve(hiddenCount)
        residual.reserve(hiddenCount)
        intermediate.reserve(frames * c.intermediateSize)
        scores.reserve(frames * frames)
    }

    /// Encodes raw mono audio at `model.preprocessing.sampleRate`, normalised as the checkpoint's
    /// preprocessor says, and returns the last hidden state plus whatever `request` asks for.
    public func encode(_ audio: [Float], request: Wav2Vec2Request = Wav2Vec2Request()) throws -> Wav2Vec2Output {
        try audio.withUnsafeBufferPointer { try encode($0, request: request) }
    }

    /// See `encode(_:request:)`.
    public func encode(
        _ audio: UnsafeBufferPointer<Float>, request: Wav2Vec2Request = Wav2Vec2Request()
    ) throws -> Wav2Vec2Output {
        let c = model.configuration
        for layer in request.hiddenStateLayers where !(0...c.layerCount).contains(layer) {
            throw NeuralFeaturesError.invalidArgument(
                "hidden state \(layer) does not exist (the model has hidden states 0...\(c.layerCount))")
        }
        var output = Wav2Vec2Output(frameCount: 0, hiddenSize: c.hiddenSize, lastHiddenState: [])
        let wanted = Set(request.hiddenStateLayers)
        let frames = try run(audio) { index, state, frames in
            if wanted.contains(index) {
                output.hiddenStates[index] = Array(UnsafeBufferPointer(start: state, count: frames * c.hiddenSize))
            }
        }
        output.frameCount = frames
        output.lastHiddenState = Array(UnsafeBufferPointer(start: lastHiddenState, count: frames * c.hiddenSize))
        for key in Wav2Vec2StageKey.allCases where request.stages.contains(key.option) {
            let (pointer, width): (UnsafeMutablePointer<Float>, Int)
            switch key {
            case .convFeatures: (pointer, width) = (convolutionOutput, c.featureChannels)
            case .extractFeatures: (pointer, width) = (features.pointer, c.featureChannels)
            case .featureProjection: (pointer, width) = (projection.pointer, c.hiddenSize)
            case .positionalEmbedding: (pointer, width) = (position.pointer, c.hiddenSize)
            }
            output.stages[key] = Array(UnsafeBufferPointer(start: pointer, count: frames * width))
        }
        return output
    }

    /// Encodes `audio` once and pools the last hidden state over each event's window (see `EncoderFrameGrid`),
    /// the one code path for per-event embeddings in training and live use. Returns one `[H]` vector per window.
    public func embedEvents(_ audio: [Float], windows: [EventWindow]) throws -> [[Float]] {
        try audio.withUnsafeBufferPointer { try embedEvents($0, windows: windows) }
    }

    /// See `embedEvents(_:windows:)`.
    public func embedEvents(_ audio: UnsafeBufferPointer<Float>, windows: [EventWindow]) throws -> [[Float]] {
        let c = model.configuration
        let grid = EncoderFrameGrid(configuration: c, sampleRate: model.preprocessing.sampleRate)
        let expected = c.frameCount(forSamples: audio.count)
        // Check every window before spending a forward pass.
        for window in windows { _ = try grid.frames(for: window, frameCount: max(expected, 1)) }
        let frames = try run(audio) { _, _, _ in }
        let states = UnsafeBufferPointer(start: lastHiddenState, count: frames * c.hiddenSize)
        return try windows.map { window in
            let range = try grid.frames(for: window, frameCount: frames)
            return FramePooling.mean(states, frameCount: frames, width: c.hiddenSize, frames: range)
        }
    }

    // MARK: - Forward pass

    /// Where the last run left `last_hidden_state` and the conv features.
    private var lastHiddenState: UnsafeMutablePointer<Float> {
        model.configuration.stableLayerNorm ? normed.pointer : hidden.pointer
    }
    private var convolutionOutput: UnsafeMutablePointer<Float> {
        model.convolutions.count % 2 == 1 ? convA.pointer : convB.pointer
    }

    /// Runs the whole pass, calling `capture(index, state, frames)` for each `hidden_states` entry as it is
    /// produced; returns the frame count.
    private func run(
        _ audio: UnsafeBufferPointer<Float>, capture: (Int, UnsafePointer<Float>, Int) -> Void
    ) throws -> Int {
        let c = model.configuration
        let frames = c.frameCount(forSamples: audio.count)
        guard frames > 0 else {
            throw NeuralFeaturesError.inputTooShort(samples: audio.count, minimum: c.receptiveField)
        }
        guard let base = audio.baseAddress, allFinite(base, count: audio.count) else {
            throw NeuralFeaturesError.invalidArgument("the audio contains NaN or infinity")
        }
        reserve(samples: audio.count)
        model.preprocessing.prepare(audio, into: samples.pointer)
        runFeatureEncoder(sampleCount: audio.count)
        runFeatureProjection(frames: frames)
        runPositionalEmbedding(frames: frames)
        runTransformer(frames: frames, capture: capture)
        return frames
    }

    /// Seven strided convolutions, time-major: output row t of a layer is
    /// `Σ_k input[stride·t + k, :] · taps[k]`, one GEMM per `stride` taps (the input rows they read are
    /// contiguous), or one GEMM over an im2col patch for the single-channel waveform.
    private func runFeatureEncoder(sampleCount: Int) {
        var source = UnsafePointer(samples.pointer)
        var length = sampleCount
        for (index, layer) in model.convolutions.enumerated() {
            let target = index % 2 == 0 ? convA.pointer : convB.pointer
            let outputLength = (length - layer.kernel) / layer.stride + 1
            let inputWidth = layer.inputChannels
            let width = layer.outputChannels
            if let bias = layer.bias {
                fillRows(target, rows: outputLength, width: width, stride: width, with: bias.pointer)
            }
            let beta: Float = layer.bias == nil ? 0 : 1
            if layer.kernel <= layer.stride {
                // Consecutive taps of one output row are contiguous in the input: A is the input itself.
                multiplier.multiply(
                    transposeA: false, transposeB: false, m: outputLength, n: width, k: layer.kernel * inputWidth,
                    alpha: 1, a: source, lda: layer.stride * inputWidth, b: layer.taps.pointer, ldb: width,
                    beta: beta, c: target, ldc: width)
            } else if inputWidth < 64 {
                // Few input channels (the raw waveform): an explicit im2col patch, one GEMM.
                let rowWidth = layer.kernel * inputWidth
                for t in 0..<outputLength {
                    (patch.pointer + t * rowWidth).update(from: source + t * layer.stride * inputWidth, count: rowWidth)
                }
                multiplier.multiply(
                    transposeA: false, transposeB: false, m: outputLength, n: width, k: rowWidth,
                    alpha: 1, a: patch.pointer, lda: rowWidth, b: layer.taps.pointer, ldb: width,
                    beta: beta, c: target, ldc: width)
            } else {
                // Overlapping windows: `stride` consecutive taps are contiguous in the input, so the taps go in
                // chunks of `stride`, one accumulating GEMM per chunk (2 for kernel 3, stride 2), no copies.
                var tap = 0
                while tap < layer.kernel {
                    let taps = min(layer.stride, layer.kernel - tap)
                    multiplier.multiply(
                        transposeA: false, transposeB: false, m: outputLength, n: width, k: taps * inputWidth,
                        alpha: 1, a: source + tap * inputWidth, lda: layer.stride * inputWidth,
                        b: layer.taps.pointer + tap * inputWidth * width, ldb: width,
                        beta: tap == 0 ? beta : 1, c: target, ldc: width)
                    tap += taps
                }
            }
            // Element-wise work goes in chunks over the multiplier's threads (rows, or columns for statistics).
            let rowChunk = max(1, Self.elementChunk / width)
            if model.configuration.featureEncoderNorm == .layer {
                let weight = layer.normWeight!.pointer
                let bias = layer.normBias!.pointer
                multiplier.forEachChunk(of: outputLength, minimumChunk: rowChunk) { rows in
                    layerNorm(
                        target + rows.lowerBound * width, target + rows.lowerBound * width, rows: rows.count,
                        width: width, weight: weight, bias: bias, epsilon: Self.convolutionEpsilon, thenGELU: true)
                }
            } else if let weight = layer.normWeight, let bias = layer.normBias {
                let sums = statistics.pointer
                let factors = factors.pointer
                multiplier.forEachChunk(of: width, minimumChunk: 16) { columns in
                    channelNormFactors(
                        target, rows: outputLength, width: width, columns: columns, weight: weight.pointer,
                        bias: bias.pointer, epsilon: Self.convolutionEpsilon, sums: sums, factors: factors)
                }
                multiplier.forEachChunk(of: outputLength, minimumChunk: rowChunk) { rows in
                    applyChannelFactorsGELU(target, rows: rows, width: width, factors: factors)
                }
            } else {
                multiplier.forEachChunk(of: outputLength * width, minimumChunk: Self.elementChunk) { range in
                    applyGELU(target, range: range)
                }
            }
            source = UnsafePointer(target)
            length = outputLength
        }
    }

    /// `extract_features = LayerNorm(conv)`, then `h = extract_features · Wpᵀ + bp`.
    private func runFeatureProjection(frames: Int) {
        let c = model.configuration
        layerNorm(
            convolutionOutput, features.pointer, rows: frames, width: c.featureChannels,
            weight: model.projectionNormWeight.pointer, bias: model.projectionNormBias.pointer,
            epsilon: c.layerNormEpsilon)
        linear(
            features.pointer, rows: frames, inputWidth: c.featureChannels, weight: model.projectionWeight,
            bias: model.projectionBias, into: projection.pointer, outputWidth: c.hiddenSize, accumulate: false)
    }

    /// The grouped positional convolution (zero padding K/2, first T outputs kept), then GELU.
    ///
    /// Per group and chunk of frames, only the kernel taps that can reach a real frame are gathered into an
    /// im2col patch: with short windows most of the 128 taps read padding and are skipped exactly.
    private func runPositionalEmbedding(frames: Int) {
        let c = model.configuration
        let hiddenSize = c.hiddenSize
        let groupWidth = hiddenSize / c.positionalGroups
        let kernel = c.positionalKernel
        let padding = kernel / 2
        let source = projection.pointer
        let target = position.pointer
        fillRows(target, rows: frames, width: hiddenSize, stride: hiddenSize, with: model.positionalBias.pointer)
        var start = 0
        while start < frames {
            let end = min(frames, start + Self.positionalChunk)
            let firstTap = max(0, padding - (end - 1))
            let lastTap = min(kernel - 1, padding + frames - 1 - start)
            let taps = lastTap - firstTap + 1
            let rowWidth = taps * groupWidth
            for group in 0..<c.positionalGroups {
                for t in start..<end {
                    let row = patch.pointer + (t - start) * rowWidth
                    for tap in 0..<taps {
                        let frame = t + firstTap + tap - padding
                        let slot = row + tap * groupWidth
                        if frame >= 0 && frame < frames {
                            slot.update(from: source + frame * hiddenSize + group * groupWidth, count: groupWidth)
                        } else {
                            slot.update(repeating: 0, count: groupWidth)
                        }
                    }
                }
                multiplier.multiply(
                    transposeA: false, transposeB: false, m: end - start, n: groupWidth, k: rowWidth, alpha: 1,
                    a: patch.pointer, lda: rowWidth,
                    b: model.positionalTaps.pointer + (group * kernel + firstTap) * groupWidth * groupWidth,
                    ldb: groupWidth, beta: 1, c: target + start * hiddenSize + group * groupWidth, ldc: hiddenSize)
            }
            start = end
        }
        applyGELU(target, range: 0..<(frames * hiddenSize))
    }

    /// The transformer stack in the configured family; `capture` sees every `hidden_states` entry.
    private func runTransformer(frames: Int, capture: (Int, UnsafePointer<Float>, Int) -> Void) {
        let c = model.configuration
        let width = c.hiddenSize
        let count = frames * width
        let x = hidden.pointer
        for i in 0..<count { x[i] = projection.pointer[i] + position.pointer[i] }
        if !c.stableLayerNorm {
            layerNorm(
                x, x, rows: frames, width: width, weight: model.encoderNormWeight.pointer,
                bias: model.encoderNormBias.pointer, epsilon: c.layerNormEpsilon)
        }
        capture(0, x, frames)
        for (index, layer) in model.layers.enumerated() {
            if c.stableLayerNorm {
                // Pre-LN: x = x + Attn(LN(x)); x = x + FFN(LN_final(x)).
                layerNorm(
                    x, normed.pointer, rows: frames, width: width, weight: layer.attentionNormWeight.pointer,
                    bias: layer.attentionNormBias.pointer, epsilon: c.layerNormEpsilon)
                attention(normed.pointer, frames: frames, layer: layer, into: x, accumulate: true)
                layerNorm(
                    x, normed.pointer, rows: frames, width: width, weight: layer.finalNormWeight.pointer,
                    bias: layer.finalNormBias.pointer, epsilon: c.layerNormEpsilon)
                feedForward(normed.pointer, frames: frames, layer: layer, into: x)
            } else {
                // Post-LN: x = LN(x + Attn(x)); x = LN_final(x + FFN(x)).
                residual.pointer.update(from: x, count: count)
                attention(x, frames: frames, layer: layer, into: residual.pointer, accumulate: true)
                layerNorm(
                    residual.pointer, x, rows: frames, width: width, weight: layer.attentionNormWeight.pointer,
                    bias: layer.attentionNormBias.pointer, epsilon: c.layerNormEpsilon)
                residual.pointer.update(from: x, count: count)
                feedForward(x, frames: frames, layer: layer, into: residual.pointer)
                layerNorm(
                    residual.pointer, x, rows: frames, width: width, weight: layer.finalNormWeight.pointer,
                    bias: layer.finalNormBias.pointer, epsilon: c.layerNormEpsilon)
            }
            capture(index + 1, x, frames)
        }
        if c.stableLayerNorm {
            layerNorm(
                x, normed.pointer, rows: frames, width: width, weight: model.encoderNormWeight.pointer,
                bias: model.encoderNormBias.pointer, epsilon: c.layerNormEpsilon)
        }
    }

    /// Multi-head self-attention of `input`; the output projection is added onto `target` (which holds the
    /// residual) when `accumulate`, else written there.
    private func attention(
        _ input: UnsafeMutablePointer<Float>, frames: Int, layer: TransformerLayer,
        into target: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        let c = model.configuration
        let width = c.hiddenSize
        let headWidth = c.headDimension
        linear(
            input, rows: frames, inputWidth: width, weight: layer.queryWeight, bias: layer.queryBias,
            into: query.pointer, outputWidth: width, accumulate: false)
        linear(
            input, rows: frames, inputWidth: width, weight: layer.keyWeight, bias: layer.keyBias,
            into: key.pointer, outputWidth: width, accumulate: false)
        linear(
            input, rows: frames, inputWidth: width, weight: layer.valueWeight, bias: layer.valueBias,
            into: value.pointer, outputWidth: width, accumulate: false)
        let scale = 1 / Float(headWidth).squareRoot()
        for head in 0..<c.attentionHeadCount {
            let offset = head * headWidth
            multiplier.multiply(
                transposeA: false, transposeB: true, m: frames, n: frames, k: headWidth, alpha: scale,
                a: query.pointer + offset, lda: width, b: key.pointer + offset, ldb: width,
                beta: 0, c: scores.pointer, ldc: frames)
            softmaxRows(scores.pointer, rows: frames, width: frames)
            multiplier.multiply(
                transposeA: false, transposeB: false, m: frames, n: headWidth, k: frames, alpha: 1,
                a: scores.pointer, lda: frames, b: value.pointer + offset, ldb: width,
                beta: 0, c: context.pointer + offset, ldc: width)
        }
        linear(
            context.pointer, rows: frames, inputWidth: width, weight: layer.outputWeight, bias: layer.outputBias,
            into: target, outputWidth: width, accumulate: accumulate)
    }

    /// `target += GELU(input · W1ᵀ + b1) · W2ᵀ + b2`.
    private func feedForward(
        _ input: UnsafeMutablePointer<Float>, frames: Int, layer: TransformerLayer,
        into target: UnsafeMutablePointer<Float>
    ) {
        let c = model.configuration
        multiplier.multiply(
            transposeA: false, transposeB: true, m: frames, n: c.intermediateSize, k: c.hiddenSize, alpha: 1,
            a: input, lda: c.hiddenSize, b: layer.intermediateWeight.pointer, ldb: c.hiddenSize,
            beta: 0, c: intermediate.pointer, ldc: c.intermediateSize)
        let hidden = intermediate.pointer
        let hiddenBias = layer.intermediateBias.pointer
        let width = c.intermediateSize
        multiplier.forEachChunk(of: frames, minimumChunk: max(1, Self.elementChunk / width)) { rows in
            applyBiasGELU(hidden, rows: rows, width: width, bias: hiddenBias)
        }
        // The I → H projection as W2 · hᵀ ([H, T]): with few frames BLAS runs this orientation of the long-K
        // product 20-30 % faster. The transpose back is added onto the residual together with the bias.
        let product = context.pointer
        multiplier.multiply(
            transposeA: false, transposeB: true, m: c.hiddenSize, n: frames, k: c.intermediateSize, alpha: 1,
            a: layer.outputDenseWeight.pointer, lda: c.intermediateSize, b: intermediate.pointer,
            ldb: c.intermediateSize, beta: 0, c: product, ldc: frames)
        let bias = layer.outputDenseBias.pointer
        for t in 0..<frames {
            let row = target + t * c.hiddenSize
            for o in 0..<c.hiddenSize { row[o] += product[o * frames + t] + bias[o] }
        }
    }

    /// `output = input · Wᵀ + b` (or `output += …` when `accumulate`), W stored `[out, in]`.
    private func linear(
        _ input: UnsafePointer<Float>, rows: Int, inputWidth: Int, weight: FloatTensor, bias: FloatTensor,
        into output: UnsafeMutablePointer<Float>, outputWidth: Int, accumulate: Bool
    ) {
        if accumulate {
            addRows(output, rows: rows, width: outputWidth, bias: bias.pointer)
        } else {
            fillRows(output, rows: rows, width: outputWidth, stride: outputWidth, with: bias.pointer)
        }
        multiplier.multiply(
            transposeA: false, transposeB: true, m: rows, n: outputWidth, k: inputWidth, alpha: 1,
            a: input, lda: inputWidth, b: weight.pointer, ldb: inputWidth, beta: 1, c: output, ldc: outputWidth)
    }
}

// Explicitly not Sendable: the scratch buffers are mutated by every call.
@available(*, unavailable)
extension Wav2Vec2Encoder: Sendable {}
