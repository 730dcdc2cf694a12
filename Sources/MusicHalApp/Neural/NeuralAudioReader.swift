import AudioFeatures
import AudioFileAdapter
import MusicHalCore
import SampleRateAdapter

/// Reads whole recordings for the neural encoder.
public enum NeuralAudioReader: Sendable {
    /// The whole file at `path` as mono float samples at `sampleRate` hertz (channels averaged, resampled with
    /// libsamplerate when the file's rate differs). Errors name the file.
    public static func readMono(path: String, sampleRate: Int) throws -> [Float] {
        let reader = try SoundFileReader(path: path)
        let source = try ResampledAudioSource(
            source: reader, targetRate: Double(sampleRate), factory: LibsamplerateConverterFactory())
        var samples: [Float] = []
        samples.reserveCapacity(Int(Double(reader.frameCount) * Double(sampleRate) / reader.sampleRate) + 1)
        while let block = try source.nextBlock(maxFrames: 65536) { samples.append(contentsOf: block.samples) }
        return samples
    }
}
