import ArgumentParser
import MusicHalApp

/// `musichal compare A B`: similarity of two recordings or regions.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Print how similar two recordings (or regions of them) sound.",
        discussion: """
            Traditional features by default; similarity in [0, 1] is the mean of chroma_profile (cosine of the \
            regions' pitch-class profiles; level-independent, lowered by transposition) and event_features (1 minus \
            the energy coefficient between the distributions of the listener's 22-D event feature vectors). With \
            --neural MODEL_DIR, similarity in [-1, 1] is the mean of pooled_cosine (cosine of the region-mean \
            wav2vec2 embeddings) and event_matching (symmetric best-match cosine of the per-event embeddings). \
            --start/--end select the same region of both files; --start-b/--end-b override it for B. An end past \
            the file is clipped to it. --low/--high band-limit both inputs with 4-pole Butterworth filters \
            (24 dB/octave, -3 dB at the cutoff) before analysis.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "First recording.")
    var fileA: String

    @Argument(help: "Second recording.")
    var fileB: String

    @Option(name: .long, help: "Region start in seconds (both files, unless --start-b is given).")
    var start: Double?

    @Option(name: .long, help: "Region end in seconds (both files, unless --end-b is given).")
    var end: Double?

    @Option(name: .customLong("start-b"), help: "Region start in B, seconds.")
    var startB: Double?

    @Option(name: .customLong("end-b"), help: "Region end in B, seconds.")
    var endB: Double?

    @Option(name: .long, help: "High-pass both inputs at this frequency, Hz.")
    var low: Double?

    @Option(name: .long, help: "Low-pass both inputs at this frequency, Hz.")
    var high: Double?

    @Option(name: .long, help: "Compare wav2vec2 embeddings from this checkpoint directory.")
    var neural: String?

    @Option(name: .long, help: "Output format: json or text.")
    var format: String = "json"

    @Option(name: .long, help: "OpenBLAS threads for --neural.")
    var threads: Int = 1

    func validate() throws {
        guard format == "json" || format == "text" else {
            throw ValidationError("--format must be json or text, got '\(format)'")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64, got \(threads)") }
        if let low, let high, low >= high {
            throw ValidationError("--low (\(low) Hz) must be below --high (\(high) Hz)")
        }
        for (name, value) in [("--low", low), ("--high", high)] {
            if let value, !(value.isFinite && value > 0) {
                throw ValidationError("\(name) must be a positive frequency in Hz, got \(value)")
            }
        }
        do {
            try regionA.validate(label: "--start/--end")
            try regionB.validate(label: startB != nil || endB != nil ? "--start-b/--end-b" : "--start/--end")
        } catch let failure as ToolFailure {
            throw ValidationError(failure.description)
        }
    }

    private var regionA: AudioRegion { AudioRegion(start: start, end: end) }
    private var regionB: AudioRegion { AudioRegion(start: startB ?? start, end: endB ?? end) }

    func run() throws {
        let configuration = try global.prepare()
        var options = CompareTool.Options()
        options.regionA = regionA
        options.regionB = regionB
        options.low = low
        options.high = high
        options.neuralModel = neural
        options.sampleRate = configuration.audio.sampleRate
        options.threads = threads
        let report = try CommandFailure.wrap { try CompareTool.run(pathA: fileA, pathB: fileB, options: options) }
        if format == "json" {
            printLine(CompareTool.json(report))
        } else {
            CompareTool.text(report).forEach(printLine)
        }
    }
}
