import AudioFeatures
import AudioFileAdapter
import FFTWAdapter
import Foundation
public import Improviser
import Logging
import MIDICore
import ModelFormat
import MusicHalCore
import OracleCore
import SampleRateAdapter
import Training

private let logger = Logger(label: "musichal.demo")

/// Options of `musichal demo`.
public struct DemoOptions: Sendable {
    /// Stream as fast as possible instead of paced like a device.
    public var fast = false
    /// Seed of every random choice.
    public var seed: UInt64 = 1
    /// Agent mode.
    public var mode: ImproviserMode = .imitate
    /// Where to write the MIDI answer; nil picks a file in the performances directory.
    public var outputPath: String?
    /// Recording to use instead of the shipped one.
    public var recordingPath: String?
    /// Models directory override.
    public var modelsDirectory: String?
    /// Parameter overrides.
    public var parameters: AgentParameters?

    /// Defaults.
    public init() {}
}

/// What the demo did.
public struct DemoReport: Sendable {
    /// Path of the MIDI file written.
    public var midiPath: String
    /// Path of the model trained.
    public var modelPath: String
    /// Input events heard.
    public var eventsHeard: Int
    /// Phrases played.
    public var phrases: Int
    /// Notes played.
    public var notes: Int
}

/// `musichal demo`: trains on the shipped recording, then plays it back through the streaming engine and
/// answers it, printing each note as it sounds and recording the answer as a MIDI file.
public enum DemoRunner {
    /// File name of the shipped demo recording.
    public static let recordingName = "minuet-in-g.flac"

    /// Finds the demo recording: `$MUSICHAL_DEMO_DIR`, then `Config/demo` in a directory above the executable
    /// (a source checkout), then `/usr/share/musichal/demo`, then `Config/demo` below the current directory.
    public static func locateRecording(executable: String = CommandLine.arguments[0]) -> String? {
        var candidates: [String] = []
        if let directory = ProcessInfo.processInfo.environment["MUSICHAL_DEMO_DIR"] {
            candidates.append("\(directory)/\(recordingName)")
        }
        var directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            candidates.append(directory.appendingPathComponent("Config/demo/\(recordingName)").path)
            directory.deleteLastPathComponent()
        }
        candidates.append("/usr/share/musichal/demo/\(recordingName)")
        candidates.append(FileManager.default.currentDirectoryPath + "/Config/demo/\(recordingName)")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Runs the demo, writing progress lines through `print`.
    public static func run(
        options: DemoOptions, configuration: MusicHalConfiguration, print: @escaping @Sendable (String) -> Void
    ) throws -> DemoReport {
        guard let recording = options.recordingPath ?? locateRecording() else {
            throw TrainingFailure(
                description: "demo recording \(recordingName) not found (set MUSICHAL_DEMO_DIR or pass --recording)")
        }
        let paths = ResolvedPaths(modelsFlag: options.modelsDirectory, configuration: configuration.paths)
        let rate = configuration.audio.sampleRate

        logger.info(
            "demo starting",
            metadata: ["recording": "\(recording)", "seed": "\(options.seed)", "mode": "\(options.mode)"])
        print("Training on \(recording) ...")
        let runner = TrainingRunner(
            files: [recording], threshold: .automatic(.musicHalDefault), analysisSampleRate: rate)
        let (model, summary) = try runner.train()
        let store = ModelDirectory(path: paths.models)
        try store.saveModel(model, named: "demo")
        let modelPath = try store.filePath(forModel: "demo")
        print(
            "Model 'demo': \(summary.events) events, \(summary.symbols) symbols, max LRS \(summary.maxLRS), "
                + "threshold \(summary.threshold) -> \(modelPath)")

        var parameters = options.parameters ?? configuration.agent.parameters
        if options.parameters == nil { parameters.density = max(parameters.density, 0.5) }
        let midiPath = options.outputPath ?? "\(paths.performances)/demo-\(PerformanceRunner.timestamp()).mid"
        var performance = PerformanceOptions(midiPath: midiPath)
        performance.mode = options.mode
        performance.seed = options.seed
        performance.parameters = parameters
        performance.paced = !options.fast
        performance.recordInput = true
        performance.printNotes = true
        print(options.fast ? "Playing the recording as fast as possible ..." : "Playing the recording in real time ...")
        let report = try PerformanceRunner.run(
            model: model, recording: recording, options: performance, configuration: configuration, print: print)
        print("Heard \(report.eventsHeard) events; answered with \(report.phrases) phrases, \(report.notes) notes.")
        print("MIDI answer written to \(midiPath)")
        return DemoReport(
            midiPath: midiPath, modelPath: modelPath, eventsHeard: report.eventsHeard, phrases: report.phrases,
            notes: report.notes)
    }
}
