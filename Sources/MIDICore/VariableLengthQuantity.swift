/// The Standard MIDI File variable-length quantity: 7 bits per byte, most significant first, the top bit set on
/// every byte but the last; at most four bytes, so values up to 0x0FFFFFFF.
public enum VariableLengthQuantity {
    /// The largest encodable value.
    public static let maximum: UInt32 = 0x0FFF_FFFF

    /// The encoding of `value` (1...4 bytes); `value` must not exceed `maximum`.
    public static func encoded(_ value: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        append(value, to: &bytes)
        return bytes
    }

    /// Appends the encoding of `value` to `bytes`; `value` must not exceed `maximum`.
    public static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        precondition(value <= maximum, "variable-length quantities hold at most 28 bits")
        var shift: UInt32 = 21
        // Skip leading zero groups, but always write the last one.
        while shift > 0 && value >> shift == 0 { shift -= 7 }
        while shift > 0 {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift) & 0x7F | 0x80)
            shift -= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value) & 0x7F)
    }

    /// Decodes the quantity starting at `offset`, returning its value and how many bytes it used.
    ///
    /// Throws `truncatedFile` when the bytes end inside it and `invalidVariableLengthQuantity` when it runs
    /// past four bytes.
    public static func decode(_ bytes: [UInt8], at offset: Int) throws(MIDICoreError) -> (value: UInt32, byteCount: Int)
    {
        guard offset >= 0 else { throw .truncatedFile(offset: offset) }
        var value: UInt32 = 0
        for index in 0..<4 {
            let position = offset + index
            guard position < bytes.count else { throw .truncatedFile(offset: position) }
            let byte = bytes[position]
            value = value << 7 | UInt32(byte & 0x7F)
            if byte & 0x80 == 0 { return (value, index + 1) }
        }
        throw .invalidVariableLengthQuantity(offset: offset)
    }
}
