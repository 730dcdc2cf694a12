import AudioFeatures
import Foundation
public import ModelFormat
import MusicHalCore
import OracleCore

/// Draws a model as an SVG picture: the corpus as a piano roll over time, the oracle's suffix links as arcs
/// between the moments they relate (as in the AudioOracle literature), and the LRS curve beneath.
public enum ModelPicture {
    /// Arcs are drawn for suffix links whose context (LRS) is at least this long, so the picture shows
    /// repeated material rather than single-event coincidences.
    public static let minimumArcContext = 2

    /// The SVG document.
    public static func svg(for model: MusicHalModel, title: String) -> String {
        let events = model.events
        let oracle = model.oracle
        let rate = model.metadata.analysisSampleRate
        let seconds = { (frame: FrameTime) in Double(frame) / rate }
        let start = events.first.map { seconds($0.onsetFrame) } ?? 0
        let end = max(start + 1, events.map { seconds($0.offsetFrame) }.max() ?? 1)
        let pitches = events.flatMap(\.pitches)
        let lowest = (pitches.min() ?? 48) - 2
        let highest = (pitches.max() ?? 84) + 2

        let width = 1200.0
        let left = 48.0
        let right = 16.0
        let arcTop = 40.0
        let arcHeight = 140.0
        let rollTop = arcTop + arcHeight + 10
        let noteHeight = max(3, min(10, 360 / Double(highest - lowest + 1)))
        let rollHeight = noteHeight * Double(highest - lowest + 1)
        let lrsTop = rollTop + rollHeight + 30
        let lrsHeight = 100.0
        let height = lrsTop + lrsHeight + 30
        let plotWidth = width - left - right
        let x = { (time: Double) in left + (time - start) / (end - start) * plotWidth }
        let y = { (note: Int) in rollTop + Double(highest - note) * noteHeight }
        let labelCount = max(1, oracle.labelCount)
        let colour = { (label: Int) in "hsl(\(Int(Double(label % labelCount) / Double(labelCount) * 330)),65%,45%)" }

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
            <title>\(escape(title))</title>
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
            <text x="\(left)" y="20" font-size="14">\(escape(title)): \(events.count) events, \(oracle.labelCount) \
            symbols, max LRS \(oracle.maxLRS)</text>

            """
        // Suffix-link arcs above the roll: from the earlier moment to the later one that repeats its context.
        svg += "<g id=\"suffix-links\" fill=\"none\" stroke=\"#3465a4\">\n"
        let maxLRS = max(1, oracle.maxLRS)
        for state in 1..<oracle.stateCount {
            let target = oracle.suffixLink(of: state)
            let context = oracle.lrs(of: state)
            guard target > 0, context >= minimumArcContext else { continue }
            let from = x(seconds(events[target - 1].onsetFrame))
            let to = x(seconds(events[state - 1].onsetFrame))
            let lift = min(arcHeight, (to - from) * 0.5)
            let opacity = 0.15 + 0.75 * Double(context) / Double(maxLRS)
            svg +=
                "<path class=\"suffix-link\" d=\"M\(format(from)),\(format(arcTop + arcHeight)) "
                + "Q\(format((from + to) / 2)),\(format(arcTop + arcHeight - 2 * lift)) \(format(to)),"
                + "\(format(arcTop + arcHeight))\" stroke-opacity=\"\(format(opacity))\" "
                + "data-from=\"\(target)\" data-to=\"\(state)\" data-lrs=\"\(context)\"/>\n"
        }
        svg += "</g>\n"

        // Piano roll: one rectangle per sounding note, coloured by the event's oracle symbol.
        svg += "<g id=\"piano-roll\">\n"
        for note in stride(from: lowest, through: highest, by: 1) where PitchMath.pitchClass(note) == 0 {
            svg +=
                "<line x1=\"\(left)\" x2=\"\(format(width - right))\" y1=\"\(format(y(note) + noteHeight))\" "
                + "y2=\"\(format(y(note) + noteHeight))\" stroke=\"#ddd\"/>"
                + "<text x=\"4\" y=\"\(format(y(note) + noteHeight))\">\(PitchMath.noteName(note))</text>\n"
        }
        for (index, event) in events.enumerated() {
            let x0 = x(seconds(event.onsetFrame))
            let w = max(1, x(seconds(event.offsetFrame)) - x0)
            for note in event.pitches where (lowest...highest).contains(note) {
                svg +=
                    "<rect class=\"note\" x=\"\(format(x0))\" y=\"\(format(y(note)))\" width=\"\(format(w))\" "
                    + "height=\"\(format(noteHeight - 1))\" fill=\"\(colour(oracle.label(of: index + 1)))\">"
                    + "<title>\(PitchMath.noteName(note)) at \(format(seconds(event.onsetFrame))) s, state "
                    + "\(index + 1), symbol \(oracle.label(of: index + 1))</title></rect>\n"
            }
        }
        svg += "</g>\n"

        // LRS curve beneath.
        let points = (1..<oracle.stateCount).map { state in
            "\(format(x(seconds(events[state - 1].onsetFrame)))),"
                + "\(format(lrsTop + lrsHeight - Double(oracle.lrs(of: state)) / Double(maxLRS) * lrsHeight))"
        }
        svg += """
            <g id="lrs-curve">
            <text x="\(left)" y="\(format(lrsTop - 8))">longest repeated suffix (LRS), 0 to \(maxLRS)</text>
            <line x1="\(left)" x2="\(format(width - right))" y1="\(format(lrsTop + lrsHeight))" \
            y2="\(format(lrsTop + lrsHeight))" stroke="#999"/>
            <polyline class="lrs" fill="none" stroke="#cc0000" points="\(points.joined(separator: " "))"/>
            </g>
            <text x="\(left)" y="\(format(height - 8))">time (s): \(format(start)) to \(format(end))</text>
            </svg>

            """
        return svg
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
