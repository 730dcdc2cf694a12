import Foundation
import ModelFormat
import MusicHalApp
import MusicHalCore
import OracleCore
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A model over a repeated motif, so the oracle has long contexts and suffix-link arcs to draw.
private func repeatedMotifModel() throws -> MusicHalModel {
    let motif = [60, 62, 64, 65, 67, 65, 64, 62]
    var events: [MusicalEvent] = []
    for (index, pitch) in (motif + motif + motif + [72, 71]).enumerated() {
        var features = [Float](repeating: 0, count: 22)
        features[pitch % 12] = 1
        features[17] = Float(pitch) / 127
        events.append(
            MusicalEvent(
                onsetFrame: FrameTime(index * 12_000), offsetFrame: FrameTime(index * 12_000 + 10_000),
                midiPitch: Double(pitch), f0Hz: 440, pitchConfidence: 0.9,
                pitches: index == 5 ? [pitch, pitch + 4] : [pitch],
                velocity: 80, levelDB: -12, interOnsetFrames: 12_000, centroidHz: 900, features: FeatureVector(features)
            ))
    }
    var oracle = try VariableMarkovOracle(dimension: 22, threshold: 0.1)
    try oracle.append(contentsOf: events.map { $0.features.values.map(Double.init) })
    let metadata = ModelMetadata(
        musicHalVersion: "test", createdAt: "now", analysisSampleRate: 48_000, featureLayoutVersion: 1,
        thresholdWasAutomatic: false,
        sources: [
            ModelSource(name: "motif & <friends>.wav", contentHash: "x", durationSeconds: 7, eventCount: events.count)
        ])
    return try MusicHalModel(metadata: metadata, events: events, oracle: oracle)
}

/// Collects elements by name and class while parsing.
private final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var lrsPoints = 0

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        let key = attributes["class"].map { "\(elementName).\($0)" } ?? elementName
        counts[key, default: 0] += 1
        if key == "polyline.lrs" { lrsPoints = attributes["points"]?.split(separator: " ").count ?? 0 }
    }
}

@Suite("Model picture")
struct ModelPictureTests {
    @Test("the SVG is well-formed and holds the piano roll, the suffix-link arcs and the LRS curve")
    func wellFormedWithExpectedElements() throws {
        let model = try repeatedMotifModel()
        let svg = ModelPicture.svg(for: model, title: "motif & <friends>")
        let parser = XMLParser(data: Data(svg.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse(), "SVG is not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.counts["svg"] == 1)
        #expect(counter.counts["rect.note"] == model.events.reduce(0) { $0 + $1.pitches.count })
        let arcs = (1..<model.oracle.stateCount).filter {
            model.oracle.suffixLinks[$0] > 0 && model.oracle.lrs[$0] >= ModelPicture.minimumArcContext
        }.count
        #expect(arcs >= 10)  // the motif repeats: there is something to draw
        #expect(counter.counts["path.suffix-link"] == arcs)
        #expect(counter.counts["polyline.lrs"] == 1)
        #expect(counter.lrsPoints == model.events.count)
    }

    @Test("inspect summarises the model and writes the picture atomically")
    func inspectSummary() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("musichal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = ModelDirectory(path: directory.path)
        try store.saveModel(try repeatedMotifModel(), named: "motif")
        let path = try InspectTool.modelPath("motif", modelsDirectory: directory.path)
        let svgPath = directory.appendingPathComponent("pictures/motif.svg").path
        let (lines, _) = try InspectTool.run(path: path, svgPath: svgPath)
        #expect(lines.contains { $0.hasPrefix("events: 26") })
        #expect(lines.contains { $0.contains("max LRS") && $0.contains("symbols") })
        #expect(lines.contains { $0.contains("motif & <friends>.wav") })
        #expect(FileManager.default.fileExists(atPath: svgPath))
        #expect(throws: (any Error).self) {
            try InspectTool.run(path: directory.appendingPathComponent("none").path, svgPath: nil)
        }
    }
}
