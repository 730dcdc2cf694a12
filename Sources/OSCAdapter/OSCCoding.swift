import CLiblo
import Glibc
import Improviser

/// Conversions between liblo's messages and `ControlMessage`.
enum OSCCoding {
    /// Decodes a received message. Zero-payload types (T, F, N, I) have no argument pointer: the type tag
    /// decides before anything is dereferenced.
    static func decode(
        path: UnsafePointer<CChar>, types: UnsafePointer<CChar>?,
        argv: UnsafeMutablePointer<UnsafeMutablePointer<lo_arg>?>?,
        argc: Int32
    ) -> ControlMessage {
        let address = String(decoding: UnsafeRawBufferPointer(start: path, count: strlen(path)), as: UTF8.self)
        var arguments: [ControlValue] = []
        guard let types, argc > 0 else { return ControlMessage(address: address) }
        for index in 0..<Int(argc) {
            let tag = UInt8(bitPattern: types[index])
            let argument = argv?[index]
            switch tag {
            case UInt8(ascii: "T"): arguments.append(.bool(true))
            case UInt8(ascii: "F"): arguments.append(.bool(false))
            case UInt8(ascii: "N"), UInt8(ascii: "I"): arguments.append(.null)
            default:
                guard let argument else {
                    arguments.append(.null)
                    continue
                }
                switch tag {
                case UInt8(ascii: "i"): arguments.append(.int(argument.pointee.i))
                case UInt8(ascii: "f"): arguments.append(.float(argument.pointee.f))
                case UInt8(ascii: "h"): arguments.append(.int64(argument.pointee.h))
                case UInt8(ascii: "d"): arguments.append(.double(argument.pointee.d))
                case UInt8(ascii: "s"), UInt8(ascii: "S"):
                    let text = UnsafeRawPointer(argument).assumingMemoryBound(to: CChar.self)
                    arguments.append(
                        .string(
                            String(decoding: UnsafeRawBufferPointer(start: text, count: strlen(text)), as: UTF8.self)))
                case UInt8(ascii: "b"):
                    let blob = UnsafeMutableRawPointer(argument)
                    let size = Int(lo_blob_datasize(blob))
                    if let data = lo_blob_dataptr(blob), size > 0 {
                        arguments.append(.blob(Array(UnsafeRawBufferPointer(start: data, count: size))))
                    } else {
                        arguments.append(.blob([]))
                    }
                case UInt8(ascii: "c"): arguments.append(.int(Int32(argument.pointee.c)))
                case UInt8(ascii: "m"):
                    let bytes = UnsafeRawPointer(argument).assumingMemoryBound(to: UInt8.self)
                    arguments.append(.blob([bytes[0], bytes[1], bytes[2], bytes[3]]))
                case UInt8(ascii: "t"):
                    arguments.append(
                        .int64(
                            Int64(bitPattern: UInt64(argument.pointee.t.sec) << 32 | UInt64(argument.pointee.t.frac))))
                default: arguments.append(.null)
                }
            }
        }
        return ControlMessage(address: address, arguments: arguments)
    }

    /// Builds a liblo message (caller frees it).
    static func makeMessage(_ message: ControlMessage) -> lo_message? {
        guard let built = lo_message_new() else { return nil }
        for argument in message.arguments {
            switch argument {
            case .int(let value): lo_message_add_int32(built, value)
            case .float(let value): lo_message_add_float(built, value)
            case .string(let value): lo_message_add_string(built, value)
            case .blob(let bytes):
                let blob = bytes.withUnsafeBytes { lo_blob_new(Int32($0.count), $0.baseAddress) }
                lo_message_add_blob(built, blob)
                lo_blob_free(blob)
            case .bool(let value): _ = value ? lo_message_add_true(built) : lo_message_add_false(built)
            case .null: lo_message_add_nil(built)
            case .int64(let value): lo_message_add_int64(built, value)
            case .double(let value): lo_message_add_double(built, value)
            }
        }
        return built
    }

    /// The numeric host and port of a source address.
    static func peer(of address: lo_address?) -> ControlPeer {
        guard let address else { return ControlPeer(host: "", port: 0) }
        let host = lo_address_get_hostname(address).map { String(cString: $0) } ?? ""
        let port = lo_address_get_port(address).map { Int(String(cString: $0)) ?? 0 } ?? 0
        return ControlPeer(host: host, port: port)
    }
}
