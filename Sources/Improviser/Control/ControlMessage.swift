/// One argument of a control message, as OSC carries it.
public enum ControlValue: Sendable, Hashable, CustomStringConvertible {
    /// 32-bit integer (`i`).
    case int(Int32)
    /// 32-bit float (`f`).
    case float(Float)
    /// String (`s`, also `S`).
    case string(String)
    /// Blob (`b`).
    case blob([UInt8])
    /// True (`T`) or false (`F`).
    case bool(Bool)
    /// Nil (`N`).
    case null
    /// 64-bit integer (`h`).
    case int64(Int64)
    /// 64-bit float (`d`).
    case double(Double)

    /// The OSC type tag character.
    public var typeTag: Character {
        switch self {
        case .int: "i"
        case .float: "f"
        case .string: "s"
        case .blob: "b"
        case .bool(let value): value ? "T" : "F"
        case .null: "N"
        case .int64: "h"
        case .double: "d"
        }
    }

    /// The value as a number, if it is one (booleans count as 0 and 1).
    public var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .float(let value): Double(value)
        case .int64(let value): Double(value)
        case .double(let value): value
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }

    /// The value as text, if it is a string.
    public var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// Short rendering for logs and `ctl`.
    public var description: String {
        switch self {
        case .int(let value): "\(value)"
        case .float(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .blob(let bytes): "<blob \(bytes.count) bytes>"
        case .bool(let value): value ? "true" : "false"
        case .null: "nil"
        case .int64(let value): "\(value)"
        case .double(let value): "\(value)"
        }
    }
}

/// A control message from a controller (an OSC message once the adapter has decoded it).
public struct ControlMessage: Sendable, Hashable, CustomStringConvertible {
    /// Address, e.g. `/hal/mode`.
    public var address: String
    /// Arguments in order.
    public var arguments: [ControlValue]

    /// Creates a message.
    public init(address: String, arguments: [ControlValue] = []) {
        self.address = address
        self.arguments = arguments
    }

    /// Type tags of the arguments, e.g. `sif`.
    public var typeTags: String { String(arguments.map(\.typeTag)) }

    /// `address args...` for logs.
    public var description: String {
        ([address] + arguments.map(\.description)).joined(separator: " ")
    }
}

/// Where a control message came from and where replies go.
public struct ControlPeer: Sendable, Hashable, CustomStringConvertible {
    /// Numeric host address, e.g. `127.0.0.1` or `::1`.
    public var host: String
    /// UDP or TCP port replies go to.
    public var port: Int

    /// Creates a peer.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
