public import MusicHalCore

/// A streaming sample-rate converter for mono audio (libsamplerate through `SampleRateAdapter`).
public protocol SampleRateConverter: AnyObject {
    /// Output rate divided by input rate.
    var ratio: Double { get }

    /// Converts `input` and appends the produced samples to `output`; `endOfInput` flushes the filter's tail.
    func process(_ input: UnsafeBufferPointer<Float>, endOfInput: Bool, into output: inout [Float]) throws
}

/// Makes sample-rate converters.
public protocol SampleRateConverterFactory: Sendable {
    /// A converter from `inputRate` to `outputRate` hertz.
    func makeConverter(from inputRate: Double, to outputRate: Double) throws -> any SampleRateConverter
}

/// An audio source resampled to another rate, block by block, with frame stamps on the output clock.
public final class ResampledAudioSource: AudioSource {
    /// Rate of the blocks this source delivers.
    public let sampleRate: Double
    private let source: any AudioSource
    private let converter: (any SampleRateConverter)?
    private var pending: [Float] = []
    private var pendingStart = 0  // samples of `pending` already delivered; compacted lazily
    private var nextFrame: FrameTime = 0
    private var finished = false
    private var inputFrames = 0

    /// Wraps `source` so it delivers `targetRate`; when the rates already match, blocks pass through.
    public init(source: any AudioSource, targetRate: Double, factory: any SampleRateConverterFactory) throws {
        self.source = source
        sampleRate = targetRate
        converter =
            source.sampleRate == targetRate
            ? nil : try factory.makeConverter(from: source.sampleRate, to: targetRate)
    }

    /// See `AudioSource.nextBlock(maxFrames:)`.
    public func nextBlock(maxFrames: Int) throws -> AudioBlock? {
        guard let converter else {
            guard var block = try source.nextBlock(maxFrames: maxFrames) else { return nil }
            block.startFrame = nextFrame
            nextFrame += FrameTime(block.frameCount)
            return block
        }
        while pending.count - pendingStart < maxFrames && !finished {
            if pendingStart > 0 {
                pending.removeFirst(pendingStart)
                pendingStart = 0
            }
            let inputFrames = max(64, Int(Double(maxFrames) / converter.ratio))
            if let block = try source.nextBlock(maxFrames: inputFrames) {
                self.inputFrames += block.frameCount
                try block.samples.withUnsafeBufferPointer {
                    try converter.process($0, endOfInput: false, into: &pending)
                }
            } else {
                try converter.process(UnsafeBufferPointer(start: nil, count: 0), endOfInput: true, into: &pending)
                finished = true
                // The converter's delay line leaves the output a little shorter or longer than the input: keep
                // exactly input × ratio frames, so both clocks describe the same duration.
                let expected = Int((Double(self.inputFrames) * converter.ratio).rounded())
                let excess = Int(nextFrame) + pending.count - pendingStart - expected
                if excess > 0 {
                    pending.removeLast(min(excess, pending.count - pendingStart))
                } else if excess < 0 {
                    pending.append(contentsOf: repeatElement(0, count: -excess))
                }
            }
        }
        guard pending.count > pendingStart else { return nil }
        let count = min(maxFrames, pending.count - pendingStart)
        let block = AudioBlock(
            startFrame: nextFrame, sampleRate: sampleRate,
            samples: Array(pending[pendingStart..<(pendingStart + count)]))
        pendingStart += count
        nextFrame += FrameTime(count)
        return block
    }
}
