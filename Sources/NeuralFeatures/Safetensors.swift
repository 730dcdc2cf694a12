/// Element types a safetensors tensor may have; F32, F16 and BF16 can be read as float32.
public enum SafetensorsDataType: String, Sendable, Equatable, CaseIterable {
    /// IEEE 754 single precision.
    case f32 = "F32"
    /// IEEE 754 half precision.
    case f16 = "F16"
    /// bfloat16 (the upper half of a float32).
    case bf16 = "BF16"
    /// IEEE 754 double precision (accepted in the header, not convertible here).
    case f64 = "F64"
    /// Integer and Boolean types (accepted in the header, never weights of this model).
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }
}

/// One tensor's entry in a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    /// Tensor name as stored.
    public var name: String
    /// Element type as written in the header (`"F32"`, ...).
    public var dtype: String
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// Byte range inside the data section (after the header).
    public var dataRange: Range<Int>

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A parsed safetensors file: an 8-byte little-endian header length, a JSON header mapping tensor names to
/// `{dtype, shape, data_offsets}`, then the raw little-endian data.
///
/// Parsing validates the header and every entry's offsets against the buffer; reading a tensor converts it to
/// float32 (F32 data that is 4-byte aligned is used in place, without a copy).
public struct SafetensorsArchive: Sendable {
    /// The file's name, used in every error.
    public let label: String
    /// Entries by stored name.
    public let entries: [String: SafetensorsEntry]
    /// The `__metadata__` strings, if any.
    public let metadata: [String: String]
    private let storage: any ByteStorage
    private let dataStart: Int

    /// Largest header accepted (the safetensors format caps it at 100 MB).
    public static let maximumHeaderLength = 100_000_000

    /// Parses the header of `storage`; `label` names the file in errors.
    public init(storage: any ByteStorage, label: String) throws {
        self.storage = storage
        self.label = label
        let bytes = storage.bytes
        func malformed(_ reason: String) -> NeuralFeaturesError { .malformedSafetensors(file: label, reason: reason) }
        guard bytes.count >= 8 else { throw malformed("only \(bytes.count) bytes, shorter than the header length") }
        var headerLength: UInt64 = 0
        for i in (0..<8).reversed() { headerLength = headerLength << 8 | UInt64(bytes[i]) }
        guard headerLength >= 2, headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw malformed("impossible header length \(headerLength)")
        }
        guard Int(headerLength) <= bytes.count - 8 else {
            throw malformed("header length \(headerLength) exceeds the file size \(bytes.count)")
        }
        let header = try JSONValue.parse(
            UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + Int(headerLength))]), file: label)
        guard let members = header.objectValue else { throw malformed("the header is not a JSON object") }
        dataStart = 8 + Int(headerLength)
        let dataLength = bytes.count - dataStart
        var entries: [String: SafetensorsEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                guard let fields = value.objectValue else { throw malformed("__metadata__ is not an object") }
                for (key, field) in fields {
                    guard let text = field.stringValue else {
                        throw malformed("__metadata__ value '\(key)' is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let dtype = value["dtype"]?.stringValue else { throw malformed("tensor '\(name)' has no dtype") }
            guard let dims = value["shape"]?.arrayValue else { throw malformed("tensor '\(name)' has no shape") }
            var shape: [Int] = []
            for dim in dims {
                guard let size = dim.intValue, size >= 0 else { throw malformed("tensor '\(name)' has a bad shape") }
                shape.append(size)
            }
            guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
                let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, begin <= end
            else { throw malformed("tensor '\(name)' has bad data_offsets") }
            guard end <= dataLength else {
                throw NeuralFeaturesError.truncatedTensor(
                    file: label, name: name, reason: "its data ends at byte \(end) of a \(dataLength)-byte data section"
                )
            }
            var elements = 1
            for size in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: size)
                guard !overflow else { throw malformed("tensor '\(name)' has an impossible shape") }
                elements = product
            }
            if let known = SafetensorsDataType(rawValue: dtype), elements * known.byteWidth != end - begin {
                throw NeuralFeaturesError.truncatedTensor(
                    file: label, name: name,
                    reason:
                        "shape \(shape) of \(dtype) needs \(elements * known.byteWidth) bytes, "
                        + "offsets give \(end - begin)"
                )
            }
            entries[name] = SafetensorsEntry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
        }
        self.entries = entries
        self.metadata = metadata
    }

    /// The tensor `name` as float32, in place when possible.
    func floatTensor(named name: String) throws -> FloatTensor {
        guard let entry = entries[name] else { throw NeuralFeaturesError.missingTensor(file: label, name: name) }
        guard let dtype = SafetensorsDataType(rawValue: entry.dtype),
            dtype == .f32 || dtype == .f16 || dtype == .bf16
        else { throw NeuralFeaturesError.unsupportedDataType(file: label, name: name, dtype: entry.dtype) }
        let raw = storage.bytes.baseAddress! + dataStart + entry.dataRange.lowerBound
        let count = entry.elementCount
        let littleEndianHost = 1.littleEndian == 1
        if dtype == .f32, littleEndianHost, Int(bitPattern: raw) % MemoryLayout<Float>.alignment == 0 {
            return FloatTensor(
                borrowing: raw.assumingMemoryBound(to: Float.self), shape: entry.shape, owner: storage)
        }
        let owned = OwnedFloats(count: count)
        let target = owned.pointer
        switch dtype {
        case .f32:
            for i in 0..<count {
                target[i] = Float(
                    bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .f16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                target[i] = halfToFloat(bits)
            }
        default:
            for i in 0..<count {
                let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                target[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        }
        return FloatTensor(owned: owned, shape: entry.shape)
    }

    /// The tensor `name` converted to float32, as an array.
    public func floats(named name: String) throws -> [Float] {
        let tensor = try floatTensor(named: name)
        return Array(UnsafeBufferPointer(start: tensor.pointer, count: tensor.count))
    }
}

/// Converts IEEE 754 binary16 bits to Float, exactly (subnormals, infinities and NaN included).
func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
    if exponent == 0 {
        // Zero or subnormal: mantissa · 2^-24, exact in float32.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
}
