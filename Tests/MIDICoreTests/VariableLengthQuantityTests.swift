import MIDICore
import Testing

@Suite("Variable-length quantities")
struct VariableLengthQuantityTests {
    @Test(
        "Encoding at the byte-count boundaries",
        arguments: [
            (UInt32(0), "00"),
            (0x40, "40"),
            (127, "7F"),
            (128, "81 00"),
            (0x2000, "C0 00"),
            (16383, "FF 7F"),
            (16384, "81 80 00"),
            (0x1F_FFFF, "FF FF 7F"),
            (0x20_0000, "81 80 80 00"),
            (0x0800_0000, "C0 80 80 00"),
            (0x0FFF_FFFF, "FF FF FF 7F"),
        ])
    func encoding(value: UInt32, expected: String) throws {
        let encoded = VariableLengthQuantity.encoded(value)
        #expect(hex(bytes: encoded) == expected)
        let decoded = try VariableLengthQuantity.decode(encoded, at: 0)
        #expect(decoded.value == value)
        #expect(decoded.byteCount == encoded.count)
    }

    @Test("Decoding starts at the offset and stops at the first byte without the top bit")
    func decodingInContext() throws {
        let decoded = try VariableLengthQuantity.decode(bytes("90 81 00 7F"), at: 1)
        #expect(decoded.value == 128)
        #expect(decoded.byteCount == 2)
    }

    @Test("A quantity cut short is truncated; one of five bytes is invalid")
    func decodingErrors() {
        #expect(throws: MIDICoreError.truncatedFile(offset: 2)) {
            try VariableLengthQuantity.decode(bytes("81 81"), at: 0)
        }
        #expect(throws: MIDICoreError.truncatedFile(offset: 0)) {
            try VariableLengthQuantity.decode([], at: 0)
        }
        #expect(throws: MIDICoreError.invalidVariableLengthQuantity(offset: 1)) {
            try VariableLengthQuantity.decode(bytes("00 81 81 81 81 01"), at: 1)
        }
    }

    @Test("Every value round-trips in a sweep of all lengths")
    func sweep() throws {
        var value: UInt32 = 0
        while value <= VariableLengthQuantity.maximum {
            let encoded = VariableLengthQuantity.encoded(value)
            #expect(try VariableLengthQuantity.decode(encoded, at: 0).value == value)
            #expect(encoded.dropLast().allSatisfy { $0 & 0x80 != 0 } && encoded.last! & 0x80 == 0)
            value = value &* 3 &+ 1
        }
    }
}
