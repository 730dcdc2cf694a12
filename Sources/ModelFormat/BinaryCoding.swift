/// Appends little-endian values to a byte array.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: Double) { write(value.bitPattern) }

    mutating func write(_ value: Float) { write(value.bitPattern) }

    mutating func write(_ string: String) {
        let utf8 = Array(string.utf8)
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func write(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }
}

/// Reads little-endian values from a byte buffer; every read is bounds-checked and names what it was reading.
struct BinaryReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    let end: Int
    let section: String

    init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil, section: String) {
        self.bytes = bytes
        offset = start
        self.end = end ?? bytes.count
        self.section = section
    }

    var remaining: Int { end - offset }

    mutating func readBytes(_ count: Int) throws(ModelFormatError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw .truncated(section: section, needed: "\(count) bytes") }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return slice
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(ModelFormatError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(section: section, needed: what) }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)]))
        }
        offset += size
        return T(littleEndian: value)
    }

    mutating func readDouble(_ what: String) throws(ModelFormatError) -> Double {
        Double(bitPattern: try read(UInt64.self, what))
    }

    mutating func readFloat(_ what: String) throws(ModelFormatError) -> Float {
        Float(bitPattern: try read(UInt32.self, what))
    }

    /// A count that must fit in what is left, given the size of each counted item.
    mutating func readCount(_ what: String, itemSize: Int, limit: Int = Int(Int32.max)) throws(ModelFormatError) -> Int
    {
        let count = Int(try read(UInt32.self, what))
        guard count <= limit, count.multipliedReportingOverflow(by: itemSize).partialValue <= remaining else {
            throw .badLength(section: section, field: what, value: count)
        }
        return count
    }

    mutating func readString(_ what: String) throws(ModelFormatError) -> String {
        let length = try readCount(what, itemSize: 1, limit: 1 << 20)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        offset += length
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw .malformed(section: section, reason: "\(what) is not valid UTF-8")
        }
        return string
    }

    /// `count` little-endian 32-bit words, each converted by `convert`: one bounds check, then a straight pass.
    @inline(__always)
    private mutating func readWords<Value>(
        count: Int, _ what: String, _ convert: (UInt32) -> Value
    ) throws(ModelFormatError) -> [Value] {
        guard count >= 0, count.multipliedReportingOverflow(by: 4).partialValue <= remaining else {
            throw .badLength(section: section, field: what, value: count)
        }
        let base = offset
        let values = [Value](unsafeUninitializedCapacity: count) { buffer, initialised in
            for i in 0..<count {
                buffer[i] = convert(
                    UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self)))
            }
            initialised = count
        }
        offset += 4 * count
        return values
    }

    mutating func readInt32Array(count: Int, _ what: String) throws(ModelFormatError) -> [Int] {
        try readWords(count: count, what) { Int(Int32(bitPattern: $0)) }
    }

    mutating func readUInt32Array(count: Int, _ what: String) throws(ModelFormatError) -> [Int] {
        try readWords(count: count, what) { Int($0) }
    }

    mutating func readFloatArray(count: Int, _ what: String) throws(ModelFormatError) -> [Float] {
        try readWords(count: count, what) { Float(bitPattern: $0) }
    }
}
