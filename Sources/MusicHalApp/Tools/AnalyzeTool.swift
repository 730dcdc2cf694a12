import AudioFeatures
import AudioFileAdapter
import FFTWAdapter
import Foundation
import MusicHalCore
import SampleRateAdapter

/// `musichal analyze`: what the listener hears in a recording, one record per event.
public enum AnalyzeTool {
    /// Output format.
    public enum Format: String, Sendable, CaseIterable {
        /// One JSON object per line.
        case jsonl
        /// A header line, then one comma-separated row per event.
        case csv
    }

    /// Timing of the analysis itself (decoding and resampling excluded), for benchmarks.
    public struct Timing: Sendable {
        /// Seconds of audio analysed.
        public var audioSeconds: Double
        /// Wall-clock seconds the listener took.
        public var analysisSeconds: Double
        /// CPU seconds the listener's thread used: on a shared machine this leaves out the time other
        /// processes held the core.
        public var analysisCPUSeconds: Double
    }

    /// CPU time of the calling thread in seconds.
    private static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Analyses `path` at `sampleRate` and writes one line per event through `write`. With `warmUpSeconds`, a
    /// throwaway listener first hears that much of the recording, so the timing is of a listener in steady state
    /// (the first transforms fault FFTW's code in; a daemon's listener pays that once, not per recording).
    @discardableResult
    public static func run(
        path: String, format: Format, sampleRate: Double, warmUpSeconds: Double = 0, write: (String) -> Void
    ) throws -> Timing {
        let source = try ResampledAudioSource(
            source: try SoundFileReader(path: path), targetRate: sampleRate, factory: LibsamplerateConverterFactory())
        var samples: [Float] = []
        while let block = try source.nextBlock(maxFrames: 65536) { samples.append(contentsOf: block.samples) }

        if warmUpSeconds > 0 {
            let warmUp = try StreamingListener(sampleRate: sampleRate, fftProvider: FFTWProvider())
            var ignored: [ListenerOutput] = []
            let count = min(samples.count, Int(warmUpSeconds * sampleRate))
            samples.withUnsafeBufferPointer {
                warmUp.listen(wholeRecording: UnsafeBufferPointer(rebasing: $0[0..<count]), into: &ignored)
            }
        }
        let listener = try StreamingListener(sampleRate: sampleRate, fftProvider: FFTWProvider())
        var outputs: [ListenerOutput] = []
        outputs.reserveCapacity(1024)
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = threadCPUSeconds()
        samples.withUnsafeBufferPointer { listener.listen(wholeRecording: $0, into: &outputs) }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpuElapsed = threadCPUSeconds() - cpuStart

        if format == .csv { write(csvHeader) }
        for output in outputs {
            guard case .event(let event) = output else { continue }
            write(format == .jsonl ? jsonLine(event, sampleRate: sampleRate) : csvLine(event, sampleRate: sampleRate))
        }
        return Timing(
            audioSeconds: Double(samples.count) / sampleRate, analysisSeconds: elapsed, analysisCPUSeconds: cpuElapsed)
    }

    private static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return String(format: "%.6g", value)
    }

    private static func number(_ value: Float) -> String { number(Double(value)) }

    private static func jsonLine(_ event: MusicalEvent, sampleRate: Double) -> String {
        let features = event.features.values
        let chroma = features[EventFeatureLayout.chroma].map { number($0) }.joined(separator: ",")
        let fields: [(String, String)] = [
            ("onset_s", number(Double(event.onsetFrame) / sampleRate)),
            ("offset_s", number(Double(event.offsetFrame) / sampleRate)),
            ("midi", event.midiPitch.map { number($0) } ?? "null"),
            ("f0_hz", event.f0Hz.map { number($0) } ?? "null"),
            ("pitches", "[" + event.pitches.map(String.init).joined(separator: ",") + "]"),
            ("velocity", String(event.velocity)),
            ("rms_db", number(event.levelDB)),
            ("chroma", "[" + chroma + "]"),
            ("consonance", number(features[EventFeatureLayout.chordConsonance])),
            ("features", "[" + features.map { number($0) }.joined(separator: ",") + "]"),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    private static let csvHeader =
        (["onset_s", "offset_s", "midi", "f0_hz", "pitches", "velocity", "rms_db", "consonance"]
        + EventFeatureLayout.names).joined(separator: ",")

    private static func csvLine(_ event: MusicalEvent, sampleRate: Double) -> String {
        let features = event.features.values
        let columns =
            [
                number(Double(event.onsetFrame) / sampleRate), number(Double(event.offsetFrame) / sampleRate),
                event.midiPitch.map { number($0) } ?? "", event.f0Hz.map { number($0) } ?? "",
                event.pitches.map(String.init).joined(separator: " "), String(event.velocity), number(event.levelDB),
                number(features[EventFeatureLayout.chordConsonance]),
            ] + features.map { number($0) }
        return columns.joined(separator: ",")
    }
}
