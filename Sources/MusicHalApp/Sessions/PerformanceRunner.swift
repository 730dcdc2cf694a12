import AudioFeatures
import AudioFileAdapter
import FFTWAdapter
import Foundation
public import Improviser
import MIDICore
public import ModelFormat
import MusicHalCore
import SampleRateAdapter

/// How a recording is played to the agent.
public struct PerformanceOptions: Sendable {
    /// The agent's mode.
    public var mode: ImproviserMode = .imitate
    /// Seed of every random choice.
    public var seed: UInt64 = 1
    /// Musical parameters.
    public var parameters = AgentParameters()
    /// Paced like a sound card (true) or as fast as possible.
    public var paced = false
    /// Where the MIDI answer goes.
    public var midiPath: String
    /// Also record the detected input on a second track.
    public var recordInput = false
    /// Print each answered note as it sounds.
    public var printNotes = false
    /// Where to write the decision records (JSON lines, one per phrase), if anywhere.
    public var explainPath: String?

    /// Options writing to `midiPath`.
    public init(midiPath: String) { self.midiPath = midiPath }
}

/// What a performance did.
public struct PerformanceReport: Sendable {
    /// Input events heard.
    public var eventsHeard: Int
    /// Phrases the agent played.
    public var phrases: Int
    /// Notes the agent played.
    public var notes: Int
    /// Length of the performance in seconds.
    public var seconds: Double
}

/// Plays a recording to the agent through the streaming engine and records the answer: `musichal perform`, and
/// the second half of `musichal demo`.
public enum PerformanceRunner {
    /// Runs the performance; `print` receives progress and, with `printNotes`, each note as it sounds.
    public static func run(
        model: MusicHalModel, recording: String, options: PerformanceOptions, configuration: MusicHalConfiguration,
        print: @escaping @Sendable (String) -> Void
    ) throws -> PerformanceReport {
        let rate = configuration.audio.sampleRate
        var improviser = Improviser(
            sampleRate: rate, seed: options.seed, parameters: options.parameters, mode: options.mode)
        improviser.load(model)
        let channels = try VoiceChannels(
            melodyChannelNumber: configuration.midi.melodyChannel, bassChannelNumber: configuration.midi.bassChannel)
        let engine = ImprovisationEngine(
            listener: try StreamingListener(sampleRate: rate, fftProvider: FFTWProvider()), improviser: improviser,
            outputMode: .standard(channels: channels), maximumNoteSeconds: configuration.midi.maximumNoteSeconds)
        let file = try StandardMIDIFileSink(path: options.midiPath, sampleRate: rate, recordInput: options.recordInput)
        let console = ConsoleNoteSink(sampleRate: rate, write: print)
        let sinks: [any MIDISink] = options.printNotes ? [file, console] : [file]
        let source = try ResampledAudioSource(
            source: try SoundFileReader(path: recording), targetRate: rate, factory: LibsamplerateConverterFactory())
        var decisions: [String] = []
        let explain = options.explainPath != nil
        let session = FileStreamingSession(
            source: source, engine: engine, sinks: sinks, paced: options.paced,
            onActivity: { activity in
                activity.events.forEach(file.recordInput)
                if explain { decisions += activity.phrases.map { DecisionLog.line($0, sampleRate: rate) } }
            })
        let report = try session.run()
        if let path = options.explainPath {
            try AtomicFile.write(Array(decisions.map { $0 + "\n" }.joined().utf8), to: path)
        }
        return PerformanceReport(
            eventsHeard: report.events, phrases: report.phrases, notes: report.notes,
            seconds: Double(report.endFrame) / rate)
    }

    /// A file name stamp such as `20261122-131500` (UTC), for default output paths.
    public static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
