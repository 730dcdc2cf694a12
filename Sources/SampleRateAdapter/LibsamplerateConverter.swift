public import AudioFeatures
import CSamplerate

/// Errors from libsamplerate.
public enum SampleRateAdapterError: Error, CustomStringConvertible, Equatable {
    /// The converter could not be created or failed; carries libsamplerate's message.
    case conversionFailed(String)
    /// A rate was not positive and finite.
    case invalidRate(Double)

    /// One-line description.
    public var description: String {
        switch self {
        case .conversionFailed(let message): return "sample-rate conversion failed: \(message)"
        case .invalidRate(let rate): return "invalid sample rate \(rate) Hz"
        }
    }
}

/// libsamplerate's sinc converters, fastest first.
public enum ResamplingQuality: Sendable, CaseIterable {
    /// `SRC_SINC_FASTEST`: about 97 dB signal-to-noise and an 80 % pass band; ample for analysis.
    case fastest
    /// `SRC_SINC_MEDIUM_QUALITY`: 97 dB, 90 % pass band.
    case medium
    /// `SRC_SINC_BEST_QUALITY`: 97 dB, 97 % pass band; several times slower.
    case best

    var converterType: Int32 {
        switch self {
        case .fastest: Int32(SRC_SINC_FASTEST)
        case .medium: Int32(SRC_SINC_MEDIUM_QUALITY)
        case .best: Int32(SRC_SINC_BEST_QUALITY)
        }
    }
}

/// A streaming mono converter over libsamplerate's sinc interpolator.
public final class LibsamplerateConverter: SampleRateConverter {
    /// Output rate divided by input rate.
    public let ratio: Double
    private let state: OpaquePointer
    private var scratch: [Float]

    /// Creates a converter; the fastest sinc filter is the default because everything MusicHal resamples is
    /// analysed, not listened to, and its pass band covers every feature (up to 16 kHz at 44.1 kHz).
    public init(from inputRate: Double, to outputRate: Double, quality: ResamplingQuality = .fastest) throws {
        guard inputRate.isFinite, inputRate > 0 else { throw SampleRateAdapterError.invalidRate(inputRate) }
        guard outputRate.isFinite, outputRate > 0 else { throw SampleRateAdapterError.invalidRate(outputRate) }
        ratio = outputRate / inputRate
        var error: Int32 = 0
        guard let state = src_new(quality.converterType, 1, &error) else {
            throw SampleRateAdapterError.conversionFailed(String(cString: src_strerror(error)))
        }
        self.state = state
        scratch = [Float](repeating: 0, count: 4096)
    }

    deinit { src_delete(state) }

    /// See `SampleRateConverter.process`.
    public func process(_ input: UnsafeBufferPointer<Float>, endOfInput: Bool, into output: inout [Float]) throws {
        var consumed = 0
        repeat {
            var data = SRC_DATA()
            let remaining = input.count - consumed
            let generated: Int = try scratch.withUnsafeMutableBufferPointer { out in
                data.data_in = remaining > 0 ? input.baseAddress.map { UnsafePointer($0 + consumed) } : nil
                data.input_frames = remaining
                data.data_out = out.baseAddress
                data.output_frames = out.count
                data.end_of_input = endOfInput ? 1 : 0
                data.src_ratio = ratio
                let status = src_process(state, &data)
                guard status == 0 else {
                    throw SampleRateAdapterError.conversionFailed(String(cString: src_strerror(status)))
                }
                return data.output_frames_gen
            }
            consumed += data.input_frames_used
            output.append(contentsOf: scratch[0..<generated])
            // Stop once the input is used up and, at the end, once the filter has nothing more to give.
            if consumed >= input.count && (!endOfInput || generated == 0) { break }
        } while true
    }
}

/// Makes `LibsamplerateConverter`s.
public struct LibsamplerateConverterFactory: SampleRateConverterFactory {
    /// Quality of the converters made.
    public let quality: ResamplingQuality

    /// Creates the factory.
    public init(quality: ResamplingQuality = .fastest) { self.quality = quality }

    /// See `SampleRateConverterFactory.makeConverter`.
    public func makeConverter(from inputRate: Double, to outputRate: Double) throws -> any SampleRateConverter {
        try LibsamplerateConverter(from: inputRate, to: outputRate, quality: quality)
    }
}
