import Foundation
public import Improviser
import ModelFormat
import Yams

/// A setlist problem, naming the file, the line and the key.
public struct SetlistError: Error, CustomStringConvertible, Equatable {
    /// The setlist file.
    public let file: String
    /// Line of the offending key or value (1-based), or nil for file-level problems.
    public let line: Int?
    /// Key path, e.g. `pieces[1].model`; empty for file-level problems.
    public let key: String
    /// What is wrong.
    public let problem: String

    /// Creates an error.
    public init(file: String, line: Int?, key: String, problem: String) {
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
    }

    /// One line: `file:line: key: problem`.
    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(problem)" : "\(place): \(key): \(problem)"
    }
}

/// Reads a setlist YAML file strictly: every key must be known, every value valid, every piece must name a model.
///
/// ```yaml
/// name: Friday at the Vortex        # optional
/// pieces:
///   - name: Opening                 # optional, defaults to the model name
///     model: set1                   # required: a model in the models directory
///     mode: imitate                 # optional: imitate | contrast | lead | listen | auto
///     duration_minutes: 8           # optional: performance arc length
///     parameters: {density: 0.4}    # optional: agent parameters for the piece
///     midi: {bank_msb: 0, bank_lsb: 3, program: 41}   # optional; program 1-128 as in the GM list
/// ```
///
/// `program` is numbered 1–128 as synths and the General MIDI list show it (sent as 0–127); `bank_msb` and
/// `bank_lsb` are the raw controller values 0–127, and need a `program` (a bank select takes effect only at the
/// next program change).
public enum SetlistLoader {
    /// Loads and validates the setlist at `path`.
    public static func load(path: String) throws(SetlistError) -> Setlist {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw SetlistError(file: path, line: nil, key: "", problem: "the setlist file \(reason)")
        }
        return try parse(text, file: path)
    }

    /// Parses and validates setlist text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(SetlistError) -> Setlist {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw yamlProblem(error, file: file)
        }
        guard let root else { throw SetlistError(file: file, line: nil, key: "", problem: "the setlist is empty") }
        let top = try SetlistMapping(node: root, path: "", file: file)
        try top.allowOnly(["name", "pieces"])
        let name = try top.string("name")
        guard let (piecesNode, piecesKey) = top.node("pieces") else {
            throw top.error(at: root, "", "missing 'pieces' (a list of pieces, each with a model)")
        }
        guard case .sequence(let sequence) = piecesNode, !sequence.isEmpty else {
            throw top.error(at: piecesNode, piecesKey, "expected a non-empty list of pieces (items start with '- ')")
        }
        var pieces: [SetlistPiece] = []
        for (index, item) in sequence.enumerated() {
            pieces.append(try piece(item, path: "pieces[\(index)]", file: file))
        }
        try top.finish()
        do {
            return try Setlist(name: name, pieces: pieces)
        } catch {
            throw SetlistError(file: file, line: nil, key: "pieces", problem: error.description)
        }
    }

    /// One line for a YAML syntax error, with its line where Yams knows it.
    private static func yamlProblem(_ error: any Error, file: String) -> SetlistError {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return SetlistError(file: file, line: mark.line, key: "", problem: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return SetlistError(
                file: file, line: context.mark.line, key: duplicates.sorted().joined(separator: ", "),
                problem: "appears twice in one mapping")
        default:
            let firstLine = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            return SetlistError(file: file, line: nil, key: "", problem: "not valid YAML: \(firstLine)")
        }
    }

    private static func piece(_ node: Node, path: String, file: String) throws(SetlistError) -> SetlistPiece {
        let fields = try SetlistMapping(node: node, path: path, file: file)
        try fields.allowOnly(["name", "model", "mode", "duration_minutes", "parameters", "midi"])
        guard let model = try fields.string("model") else {
            throw fields.error(at: node, "\(path).model", "missing: every piece needs a model")
        }
        do {
            _ = try ModelName.validated(model)
        } catch {
            throw fields.error(at: fields.node("model")?.0 ?? node, "\(path).model", error.description)
        }
        let name = try fields.string("name") ?? model
        var mode: ImproviserMode?
        if let text = try fields.string("mode") {
            guard let value = ImproviserMode(rawValue: text) else {
                let options = ImproviserMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw fields.error(key: "mode", "'\(text)' is not one of: \(options)")
            }
            mode = value
        }
        let duration = try fields.double("duration_minutes")
        if let duration, duration <= 0 {
            throw fields.error(key: "duration_minutes", "must be a positive number of minutes, got \(duration)")
        }
        var parameters: [String: Double] = [:]
        if let (parametersNode, _) = fields.node("parameters") {
            let values = try SetlistMapping(node: parametersNode, path: "\(path).parameters", file: file)
            var check = AgentParameters()
            for key in values.keys {
                guard AgentParameters.descriptor(named: key) != nil else {
                    throw values.error(key: key, ParameterError.unknownParameter(key).description)
                }
                guard let value = try values.double(key) else { continue }
                do {
                    // Each value alone: whether bounds fit together depends on the parameters in force when played.
                    try check.set(key, to: value)
                } catch .inconsistent {
                } catch {
                    throw values.error(key: key, error.description)
                }
                parameters[key] = value
            }
            try values.finish()
        }
        var patch: SynthPatch?
        if let (midiNode, _) = fields.node("midi") {
            let midi = try SetlistMapping(node: midiNode, path: "\(path).midi", file: file)
            try midi.allowOnly(["bank_msb", "bank_lsb", "program"])
            let msb = try midi.int("bank_msb", in: 0...127)
            let lsb = try midi.int("bank_lsb", in: 0...127)
            let program = try midi.int("program", in: 1...128)
            try midi.finish()
            guard let program else {
                throw midi.error(
                    at: midiNode, "\(path).midi.program",
                    "missing: a bank select takes effect only with a program change (program 1-128)")
            }
            do {
                patch = try SynthPatch(bankMSB: msb, bankLSB: lsb, program: program - 1)
            } catch {
                throw midi.error(at: midiNode, "\(path).midi", error.description)
            }
        }
        try fields.finish()
        do {
            return try SetlistPiece(
                name: name, model: model, mode: mode, parameters: parameters, durationMinutes: duration, patch: patch)
        } catch {
            // Every field was checked above; this is a safety net naming the piece.
            throw fields.error(at: node, path, error.description)
        }
    }
}

/// One mapping of the setlist's YAML tree, read key by key, with each key's line; `finish()` fails on any key
/// that was not read.
private final class SetlistMapping {
    private var values: [String: (key: Node, value: Node)] = [:]
    private(set) var keys: [String] = []
    private var used: Set<String> = []
    let path: String
    let file: String

    init(node: Node, path: String, file: String) throws(SetlistError) {
        self.path = path
        self.file = file
        guard case .mapping(let mapping) = node else {
            throw SetlistError(
                file: file, line: node.mark?.line, key: path,
                problem: path.isEmpty ? "expected a mapping with 'pieces'" : "expected a mapping of keys to values")
        }
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                throw SetlistError(file: file, line: keyNode.mark?.line, key: path, problem: "keys must be strings")
            }
            if values[key] != nil {
                throw SetlistError(file: file, line: keyNode.mark?.line, key: qualified(key), problem: "appears twice")
            }
            values[key] = (keyNode, value)
            keys.append(key)
        }
    }

    func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(at node: Node, _ key: String, _ problem: String) -> SetlistError {
        SetlistError(file: file, line: node.mark?.line, key: key, problem: problem)
    }

    func error(key: String, _ problem: String) -> SetlistError {
        SetlistError(file: file, line: values[key]?.value.mark?.line, key: qualified(key), problem: problem)
    }

    /// The value node of `key` and its qualified name, marking the key as read.
    func node(_ key: String) -> (Node, String)? {
        guard let entry = values[key] else { return nil }
        used.insert(key)
        return (entry.value, qualified(key))
    }

    private func scalar(_ key: String) throws(SetlistError) -> String? {
        guard let (node, _) = node(key) else { return nil }
        guard case .scalar(let scalar) = node else { throw error(key: key, "expected a single value") }
        return scalar.string
    }

    func string(_ key: String) throws(SetlistError) -> String? {
        guard let value = try scalar(key) else { return nil }
        guard !value.isEmpty else { throw error(key: key, "must not be empty") }
        return value
    }

    func double(_ key: String) throws(SetlistError) -> Double? {
        guard let text = try scalar(key) else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw error(key: key, "expected a number, got '\(text)'")
        }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(SetlistError) -> Int? {
        guard let text = try scalar(key) else { return nil }
        guard let value = Int(text) else { throw error(key: key, "expected a whole number, got '\(text)'") }
        guard range.contains(value) else {
            throw error(key: key, "\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// Fails on the first key not in `allowed`, before any value is read, so a misspelt key is reported as
    /// such rather than as the missing key it was meant to be.
    func allowOnly(_ allowed: Set<String>) throws(SetlistError) {
        if let unknown = keys.first(where: { !allowed.contains($0) }) {
            let known = allowed.sorted().joined(separator: ", ")
            throw SetlistError(
                file: file, line: values[unknown]?.key.mark?.line, key: qualified(unknown),
                problem: "unknown key (known: \(known))")
        }
    }

    func finish() throws(SetlistError) {
        if let unknown = keys.first(where: { !used.contains($0) }) {
            throw SetlistError(
                file: file, line: values[unknown]?.key.mark?.line, key: qualified(unknown), problem: "unknown key")
        }
    }
}
