import AudioFeatures
import FFTWAdapter
import Foundation
public import MusicHalCore
import NeuralFeatures

/// `musichal compare A B`: how alike two recordings (or regions of them) sound.
///
/// Traditional method (default), similarity in [0, 1], the mean of:
/// - `chroma_profile`: cosine of the two regions' pitch-class profiles (`ChromaProfile`): 1 when the same pitch
///   classes sound in the same proportions, whatever the level; a transposition rotates the profile and lowers it.
/// - `event_features`: one minus the energy coefficient between the distributions of the listener's 22-value
///   event feature vectors (`FeatureStatistics.energySimilarity`): 1 when both regions produce the same events,
///   lower as melody, harmony, register, timbre, loudness and rhythm statistics drift apart.
///
/// Neural method (`--neural MODEL_DIR`), similarity in [-1, 1], the mean of:
/// - `pooled_cosine`: cosine of the mean `last_hidden_state` over each whole region.
/// - `event_matching`: symmetric best-match cosine between the per-event embeddings
///   (`FeatureStatistics.bestMatchCosine`), the events being the listener's, pooled as in training and live use.
///
/// A component that cannot be computed (no pitched sound; no events) is null and left out of the mean.
public enum CompareTool {
    /// What to compare and how.
    public struct Options: Sendable {
        /// Region of the first recording.
        public var regionA = AudioRegion()
        /// Region of the second recording.
        public var regionB = AudioRegion()
        /// High-pass cutoff applied to both, hertz.
        public var low: Double?
        /// Low-pass cutoff applied to both, hertz.
        public var high: Double?
        /// A wav2vec2 checkpoint directory for the neural method; nil for traditional features.
        public var neuralModel: String?
        /// Rate the listener analyses at, hertz.
        public var sampleRate = 48_000.0
        /// OpenBLAS threads for the neural method.
        public var threads = 1

        /// Default options: whole files, no band limit, traditional features at 48 kHz.
        public init() {}
    }

    /// One of the two inputs as analysed.
    public struct Side: Sendable {
        /// The file.
        public var path: String
        /// Start of the region actually compared, seconds.
        public var start: Double
        /// End of the region actually compared, seconds (clipped to the file).
        public var end: Double
        /// Length of the file, seconds.
        public var fileSeconds: Double
        /// Events the listener heard in the region.
        public var events: Int
    }

    /// One term of the similarity.
    public struct Component: Sendable {
        /// Key in the output.
        public var name: String
        /// Its value, or nil when it cannot be computed for these inputs.
        public var value: Double?
    }

    /// The result.
    public struct Report: Sendable {
        /// The first input.
        public var a: Side
        /// The second input.
        public var b: Side
        /// "traditional" or "neural".
        public var method: String
        /// The mean of the available components.
        public var similarity: Double
        /// The range `similarity` and the components lie in.
        public var range: ClosedRange<Double>
        /// The terms, in output order.
        public var components: [Component]
        /// High-pass cutoff applied, hertz.
        public var low: Double?
        /// Low-pass cutoff applied, hertz.
        public var high: Double?
        /// The checkpoint directory (neural method).
        public var model: String?
    }

    /// Compares the two files.
    public static func run(pathA: String, pathB: String, options: Options) throws -> Report {
        try options.regionA.validate(label: "region of A")
        try options.regionB.validate(label: "region of B")
        let band = (low: options.low, high: options.high)
        // Check the band at every rate it will be used at before reading anything.
        _ = try BandLimitFilter(low: band.low, high: band.high, sampleRate: options.sampleRate)
        let encoder = try options.neuralModel.map { try SegmentedEncoder(directory: $0, threads: options.threads) }
        if let encoder {
            _ = try BandLimitFilter(low: band.low, high: band.high, sampleRate: Double(encoder.sampleRate))
        }

        let audioA = try RegionAudio.read(
            path: pathA, sampleRate: options.sampleRate, region: options.regionA, band: band)
        let audioB = try RegionAudio.read(
            path: pathB, sampleRate: options.sampleRate, region: options.regionB, band: band)
        let eventsA = try ListenerPass.events(audioA.samples, sampleRate: options.sampleRate).events
        let eventsB = try ListenerPass.events(audioB.samples, sampleRate: options.sampleRate).events
        let sideA = Side(
            path: pathA, start: audioA.start, end: audioA.end, fileSeconds: audioA.fileSeconds, events: eventsA.count)
        let sideB = Side(
            path: pathB, start: audioB.start, end: audioB.end, fileSeconds: audioB.fileSeconds, events: eventsB.count)

        let components: [Component]
        let range: ClosedRange<Double>
        if let encoder {
            let rate = Double(encoder.sampleRate)
            func embed(_ path: String, _ region: AudioRegion, _ events: [MusicalEvent]) throws -> (
                pooled: [Float], events: [[Float]]
            ) {
                let audio = try RegionAudio.read(path: path, sampleRate: rate, region: region, band: band)
                do {
                    let windows = events.map { $0.window(sampleRate: options.sampleRate) }
                    let pooled = try encoder.pooledEmbedding(audio.samples)
                    let perEvent = try encoder.eventEmbeddings(audio.samples, windows: windows)
                    guard pooled.allSatisfy(\.isFinite), perEvent.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
                        throw ToolFailure("the encoder produced NaN or infinity for \(path)")
                    }
                    return (pooled, perEvent)
                } catch let error as NeuralFeaturesError {
                    throw ToolFailure(
                        "\(path) (\(RegionAudio.format(audio.start))-\(RegionAudio.format(audio.end)) s): \(error)")
                }
            }
            let a = try embed(pathA, options.regionA, eventsA)
            let b = try embed(pathB, options.regionB, eventsB)
            components = [
                Component(name: "pooled_cosine", value: FeatureStatistics.cosine(a.pooled, b.pooled)),
                Component(name: "event_matching", value: FeatureStatistics.bestMatchCosine(a.events, b.events)),
            ]
            range = -1...1
        } else {
            components = traditionalComponents(
                a: audioA.samples, eventsA: eventsA, b: audioB.samples, eventsB: eventsB,
                sampleRate: options.sampleRate)
            range = 0...1
        }
        let available = components.compactMap(\.value)
        guard !available.isEmpty else {
            let silent = [sideA, sideB].filter { $0.events == 0 }.map(describe).joined(separator: " and ")
            throw ToolFailure(
                "nothing to compare: no pitched sound or events in \(silent.isEmpty ? "the inputs" : silent)")
        }
        return Report(
            a: sideA, b: sideB, method: encoder == nil ? "traditional" : "neural",
            similarity: available.reduce(0, +) / Double(available.count), range: range, components: components,
            low: options.low, high: options.high, model: options.neuralModel)
    }

    /// The traditional components for two regions held in memory (see the type's description).
    public static func traditionalComponents(
        a: [Float], eventsA: [MusicalEvent], b: [Float], eventsB: [MusicalEvent], sampleRate: Double
    ) -> [Component] {
        let profiles = ChromaProfile()
        let provider = FFTWProvider()
        let chromaA = profiles.profile(of: a, sampleRate: sampleRate, fftProvider: provider)
        let chromaB = profiles.profile(of: b, sampleRate: sampleRate, fftProvider: provider)
        return [
            Component(name: "chroma_profile", value: FeatureStatistics.cosine(chromaA, chromaB)),
            Component(
                name: "event_features",
                value: FeatureStatistics.energySimilarity(
                    eventsA.map(\.features.values), eventsB.map(\.features.values))),
        ]
    }

    /// The traditional comparison of two regions held in memory: the components and their mean.
    public static func traditionalSimilarity(a: [Float], b: [Float], sampleRate: Double) throws -> (
        similarity: Double?, components: [Component]
    ) {
        let eventsA = try ListenerPass.events(a, sampleRate: sampleRate).events
        let eventsB = try ListenerPass.events(b, sampleRate: sampleRate).events
        let components = traditionalComponents(a: a, eventsA: eventsA, b: b, eventsB: eventsB, sampleRate: sampleRate)
        let available = components.compactMap(\.value)
        return (available.isEmpty ? nil : available.reduce(0, +) / Double(available.count), components)
    }

    private static func describe(_ side: Side) -> String {
        "\(side.path) (\(RegionAudio.format(side.start))-\(RegionAudio.format(side.end)) s)"
    }

    // MARK: - Output

    /// The report as one JSON object.
    public static func json(_ report: Report) -> String {
        func side(_ side: Side) -> JSONText {
            .object([
                ("path", .string(side.path)), ("start_s", .number(side.start)), ("end_s", .number(side.end)),
                ("file_s", .number(side.fileSeconds)), ("events", .integer(side.events)),
            ])
        }
        var members: [(String, JSONText)] = [
            ("method", .string(report.method)),
            ("similarity", .number(report.similarity)),
            ("range", .numbers([report.range.lowerBound, report.range.upperBound])),
            ("components", .object(report.components.map { ($0.name, .optional($0.value)) })),
            ("a", side(report.a)), ("b", side(report.b)),
            ("band_hz", .object([("low", .optional(report.low)), ("high", .optional(report.high))])),
        ]
        if let model = report.model { members.append(("model", .string(model))) }
        return JSONText.object(members).rendered
    }

    /// The report as a few lines for people.
    public static func text(_ report: Report) -> [String] {
        let meanings: [String: String] = [
            "chroma_profile": "cosine of the pitch-class profiles",
            "event_features": "1 - energy coefficient of the 22-D event feature distributions",
            "pooled_cosine": "cosine of the region-mean embeddings",
            "event_matching": "symmetric best-match cosine of the per-event embeddings",
        ]
        func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "n/a" }
        var lines = [
            "similarity \(number(report.similarity)) (\(report.method), range "
                + "\(Int(report.range.lowerBound))...\(Int(report.range.upperBound)))"
        ]
        for component in report.components {
            let name = component.name.padding(toLength: 15, withPad: " ", startingAt: 0)
            lines.append("  \(name) \(number(component.value))  \(meanings[component.name] ?? "")")
        }
        for (label, side) in [("A", report.a), ("B", report.b)] {
            lines.append("\(label): \(describe(side)), \(side.events) events")
        }
        if report.low != nil || report.high != nil {
            lines.append("band: \(report.low.map { "\($0) Hz" } ?? "-") to \(report.high.map { "\($0) Hz" } ?? "-")")
        }
        if let model = report.model { lines.append("model: \(model)") }
        return lines
    }
}
