import ArgumentParser
import Foundation
import MusicHalApp

/// `musichal inspect MODEL [--svg FILE]`.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a model learned: a summary, and with --svg a picture.",
        discussion: """
            MODEL is a name in the models directory or a path. The picture shows the corpus as a piano roll over \
            time (colours are oracle symbols), the oracle's suffix links as arcs between related moments (context \
            of two events or more), and the longest-repeated-suffix curve beneath.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Model name or path.")
    var model: String

    @Option(name: .long, help: "Write an SVG picture of the model to this file.")
    var svg: String?

    @Option(name: .long, help: "Models directory.")
    var modelsDir: String?

    @Flag(name: .long, help: .hidden)
    var timing = false

    func run() throws {
        let configuration = try global.prepare()
        let paths = ResolvedPaths(modelsFlag: modelsDir, configuration: configuration.paths)
        let (lines, seconds) = try CommandFailure.wrap {
            try InspectTool.run(path: try InspectTool.modelPath(model, modelsDirectory: paths.models), svgPath: svg)
        }
        lines.forEach(printLine)
        if let svg { printLine("picture written to \(svg)") }
        if timing { FileHandle.standardError.write(Data("load_seconds=\(seconds)\n".utf8)) }
    }
}
