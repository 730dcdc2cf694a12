import NeuralFeatures
import Testing

@Suite("Strict JSON parser")
struct JSONValueTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8), file: "test.json") }

    @Test("parses every value kind")
    func values() throws {
        let value = try parse(
            #" { "a": [1, -2.5e3, 0.125, true, false, null], "b": {"c": "x\"\\\/\b\f\n\r\t\u00e9\ud83c\udfb5"} } "#)
        #expect(value["a"] == .array([.number(1), .number(-2500), .number(0.125), .bool(true), .bool(false), .null]))
        #expect(value["b"]?["c"]?.stringValue == "x\"\\/\u{08}\u{0C}\n\r\té🎵")
        #expect(value["a"]?.arrayValue?.first?.intValue == 1)
        #expect(value["a"]?.arrayValue?[2].intValue == nil)
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object([:]))
        #expect(try parse("\"ünïcødé\"") == .string("ünïcødé"))
        #expect(try parse("1e-05").doubleValue == 1e-5)
    }

    @Test(
        "rejects what RFC 8259 does not allow",
        arguments: [
            "", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "1e", "[1 2]", "{\"a\" 1}", "{a:1}", "'x'",
            "\"tab\there\"", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "tru", "nul", "[1] 2", "{\"a\":1,\"a\":2}",
            "\"unterminated", "NaN", "1e999", "[\"\\u12g4\"]",
        ])
    func rejects(text: String) {
        #expect(throws: NeuralFeaturesError.self) { try parse(text) }
    }

    @Test("rejects invalid UTF-8 and runaway nesting")
    func rejectsBytes() {
        #expect(throws: NeuralFeaturesError.self) { try JSONValue.parse([0x22, 0xFF, 0x22], file: "x") }
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: NeuralFeaturesError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try parse(fine) }
    }

    @Test("errors name the file and the byte offset")
    func errorText() {
        #expect(throws: NeuralFeaturesError.malformedJSON(file: "test.json", offset: 7, reason: "expected ',' or '}'"))
        {
            try parse("{\"a\":1 \"b\":2}")
        }
    }
}
