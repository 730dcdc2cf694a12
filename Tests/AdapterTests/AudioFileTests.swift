import AudioFeatures
import AudioFileAdapter
import Foundation
import MusicHalCore
import SampleRateAdapter
import TestSignals
import Testing

@Suite("Audio files through libsndfile")
struct AudioFileTests {
    @Test(
        "every supported format is written and read back as mono with its rate",
        arguments: SoundFileWriter.Format.allCases)
    func formats(format: SoundFileWriter.Format) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let samples = SyntheticMelody.render(SyntheticMelody.scale, sampleRate: 44_100)
        let path = directory.appendingPathComponent("scale.\(format.rawValue)").path
        try SoundFileWriter.write(samples, sampleRate: 44_100, to: path, format: format)
        let reader = try SoundFileReader(path: path)
        #expect(reader.sampleRate == 44_100)
        #expect(reader.channelCount == 1)
        let decoded = try reader.readAll()
        // Lossy codecs add priming samples; the length stays within 0.1 s.
        #expect(abs(decoded.count - samples.count) < 4410, "\(format): \(decoded.count) vs \(samples.count)")
        let peak = decoded.map(abs).max() ?? 0
        #expect(peak > 0.1 && peak < 1.1)
        let remaining = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(remaining == ["scale.\(format.rawValue)"])  // no temporary file left behind
    }

    @Test("a missing file, a directory and a non-audio file each give an error naming the file")
    func badFiles() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("nope.wav").path
        #expect(throws: AudioFileError.notFound(path: missing)) { try SoundFileReader(path: missing) }
        #expect(throws: AudioFileError.self) { try SoundFileReader(path: directory.path) }
        let text = directory.appendingPathComponent("notes.txt").path
        try "not audio at all".write(toFile: text, atomically: true, encoding: .utf8)
        do {
            _ = try SoundFileReader(path: text)
            Issue.record("a text file was accepted as audio")
        } catch let error as AudioFileError {
            #expect(error.description.contains(text))
        }
    }

    @Test("stereo files are mixed down to mono")
    func stereoDownmix() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("stereo.wav").path
        // A stereo WAV with left = 0.5 and right = -0.25 has the mono mean 0.125.
        var header = Data("RIFF".utf8)
        let frames = 1000
        let dataBytes = frames * 4
        func le<T: FixedWidthInteger>(_ value: T) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }
        header += le(UInt32(36 + dataBytes)) + Data("WAVEfmt ".utf8) + le(UInt32(16)) + le(UInt16(1)) + le(UInt16(2))
        header += le(UInt32(22_050)) + le(UInt32(22_050 * 4)) + le(UInt16(4)) + le(UInt16(16)) + Data("data".utf8)
        header += le(UInt32(dataBytes))
        for _ in 0..<frames { header += le(Int16(16384)) + le(Int16(-8192)) }
        try header.write(to: URL(fileURLWithPath: path))
        let reader = try SoundFileReader(path: path)
        #expect(reader.channelCount == 2)
        let mono = try reader.readAll()
        #expect(mono.count == frames)
        #expect(mono.allSatisfy { abs($0 - 0.125) < 1e-3 })
    }

    @Test("libsamplerate converts 44.1 kHz to 48 kHz keeping pitch and length")
    func resampling() throws {
        let notes = [SyntheticNote(onset: 0, duration: 1, midi: 69)]
        let samples = SyntheticMelody.render(notes, sampleRate: 44_100, harmonics: 1, tail: 0)
        let converter = try LibsamplerateConverter(from: 44_100, to: 48_000)
        var output: [Float] = []
        try samples.withUnsafeBufferPointer { try converter.process($0, endOfInput: true, into: &output) }
        // The flushed filter tail may add a few dozen samples beyond input × ratio.
        #expect(abs(output.count - 48_000) < 100)
        let estimator = YINPitchEstimator(sampleRate: 48_000, capacity: 4096, fftProvider: ReferenceFFTProvider())
        let estimate = try #require(
            output.withUnsafeBufferPointer { estimator.estimate(UnsafeBufferPointer(rebasing: $0[4800..<8896])) })
        #expect(abs(estimate.frequency - 440) < 1)
        #expect(throws: SampleRateAdapterError.invalidRate(0)) { try LibsamplerateConverter(from: 0, to: 48_000) }
    }

    @Test("a resampled source stamps blocks on the output clock")
    func resampledSource() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a.wav").path
        try SoundFileWriter.write([Float](repeating: 0.1, count: 22_050), sampleRate: 22_050, to: path, format: .wav)
        let source = try ResampledAudioSource(
            source: try SoundFileReader(path: path), targetRate: 48_000, factory: LibsamplerateConverterFactory())
        var expected: FrameTime = 0
        var total = 0
        while let block = try source.nextBlock(maxFrames: 1000) {
            #expect(block.startFrame == expected)
            #expect(block.sampleRate == 48_000)
            expected = block.endFrame
            total += block.frameCount
        }
        #expect(total == 48_000)
    }
}
