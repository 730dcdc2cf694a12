import AudioFeatures
import Foundation
public import ModelFormat
import MusicHalCore
import OracleCore

/// `musichal inspect`: what a model holds, as text, and optionally as a picture.
public enum InspectTool {
    /// Resolves MODEL as `musichal` commands take it: a path when it contains a slash or names an existing
    /// file, otherwise a name in the models directory.
    public static func modelPath(_ model: String, modelsDirectory: String) throws -> String {
        if model.contains("/") || FileManager.default.fileExists(atPath: model) { return model }
        return try ModelDirectory(path: modelsDirectory).filePath(forModel: model)
    }

    /// Loads the model and returns the summary lines; with `svgPath`, also writes the picture there (atomically).
    /// `loadSeconds` reports how long reading and validating the file took.
    public static func run(path: String, svgPath: String?) throws -> (lines: [String], loadSeconds: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let model = try ModelFileIO.read(path: path)
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let lines = summary(model, path: path)
        if let svgPath {
            let title = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            try AtomicFile.write(Array(ModelPicture.svg(for: model, title: title).utf8), to: svgPath)
        }
        return (lines, loadSeconds)
    }

    /// Human-readable summary of a model.
    public static func summary(_ model: MusicHalModel, path: String) -> [String] {
        let m = model.metadata
        let oracle = model.oracle
        let rate = m.analysisSampleRate
        let pitched = model.events.compactMap(\.midiNote)
        let duration = model.events.last.map { Double($0.offsetFrame) / rate } ?? 0
        var lines = [
            "model: \(path)",
            "format version: \(ModelFile.formatVersion), written by MusicHal \(m.musicHalVersion) at \(m.createdAt)",
            "events: \(model.events.count) (\(pitched.count) pitched), corpus timeline \(String(format: "%.1f", duration)) s",
            "oracle: \(oracle.stateCount) states, \(oracle.labelCount) symbols, max LRS \(oracle.maxLRS), "
                + "threshold \(oracle.threshold)\(m.thresholdWasAutomatic ? " (auto, by information rate)" : ""), "
                + "information rate \(String(format: "%.2f", informationRate(lrs: oracle.lrs).sum))",
            "features: \(oracle.dimension)-dimensional, layout version \(m.featureLayoutVersion); analysis rate "
                + "\(Int(rate)) Hz",
        ]
        if let low = pitched.min(), let high = pitched.max() {
            lines.append("pitch range: \(PitchMath.noteName(low)) to \(PitchMath.noteName(high))")
        }
        if let vocabulary = model.vocabulary {
            let usage = vocabulary.usage
            let total = Double(max(1, usage.reduce(0, +)))
            let entropy = usage.filter { $0 > 0 }.reduce(0.0) { sum, count in
                let p = Double(count) / total
                return sum - p * Foundation.log2(p)
            }
            let missing = vocabulary.tokens.filter { $0 == NeuralVocabulary.noToken }.count
            lines.append(
                "neural vocabulary: \(vocabulary.size) tokens, \(usage.filter { $0 > 0 }.count) used, entropy "
                    + "\(String(format: "%.2f", entropy)) bits; encoder \(vocabulary.encoder.name) "
                    + "(\(vocabulary.encoder.hiddenSize)-D, "
                    + "\(vocabulary.encoder.layer.map { "hidden_states[\($0)]" } ?? "last_hidden_state"), "
                    + "\(vocabulary.encoder.digest))"
                    + (missing > 0 ? "; \(missing) learned events without a token" : ""))
        }
        lines.append("sources:")
        for source in m.sources {
            lines.append(
                "  \(source.name): \(String(format: "%.1f", source.durationSeconds)) s, \(source.eventCount) events, "
                    + source.contentHash)
        }
        if !m.parameters.isEmpty {
            lines.append("parameters:")
            for key in m.parameters.keys.sorted() { lines.append("  \(key) = \(m.parameters[key] ?? "")") }
        }
        return lines
    }
}
