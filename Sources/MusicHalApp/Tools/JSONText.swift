import Foundation

/// A JSON value written with its keys in the order given (reports read top-down), numbers in `%.6g`.
public indirect enum JSONText: Sendable {
    /// null.
    case null
    /// true or false.
    case bool(Bool)
    /// A number; non-finite values are written as null.
    case number(Double)
    /// An integer.
    case integer(Int)
    /// A string (escaped when written).
    case string(String)
    /// An array.
    case array([JSONText])
    /// An object with ordered keys.
    case object([(String, JSONText)])

    /// A number or null.
    public static func optional(_ value: Double?) -> JSONText { value.map { .number($0) } ?? .null }

    /// An array of numbers.
    public static func numbers<S: Sequence>(_ values: S) -> JSONText where S.Element: BinaryFloatingPoint {
        .array(values.map { .number(Double($0)) })
    }

    /// The value as one line of JSON.
    public var rendered: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value): return value.isFinite ? String(format: "%.6g", value) : "null"
        case .integer(let value): return String(value)
        case .string(let value): return Self.quoted(value)
        case .array(let values): return "[" + values.map(\.rendered).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { Self.quoted($0.0) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
