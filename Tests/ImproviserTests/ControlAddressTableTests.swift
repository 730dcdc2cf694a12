import Foundation
import Improviser
import Testing

@Suite("Control address table")
struct ControlAddressTableTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")
    static let begin = "<!-- osc-table:begin (generated from ControlAddressTable; see ControlAddressTableTests) -->"
    static let end = "<!-- osc-table:end -->"

    @Test("the README's OSC table is the one generated from the address table")
    func readmeTableIsGenerated() throws {
        var text = try String(contentsOf: Self.readme, encoding: .utf8)
        let start = try #require(text.range(of: Self.begin), "README has no OSC table markers")
        let stop = try #require(text.range(of: Self.end))
        let generated = "\n" + ControlAddressTable.markdownTable() + "\n"
        if ProcessInfo.processInfo.environment["MUSICHAL_WRITE_README"] == "1" {
            text.replaceSubrange(start.upperBound..<stop.lowerBound, with: generated)
            try text.write(to: Self.readme, atomically: true, encoding: .utf8)
        }
        #expect(
            String(text[start.upperBound..<stop.lowerBound]) == generated,
            "regenerate with: MUSICHAL_WRITE_README=1 swift test --filter readmeTableIsGenerated")
    }

    @Test("every agent parameter has an address with its range; type tags are checked")
    func parametersAndTypes() throws {
        for parameter in AgentParameters.descriptors {
            let entry = try #require(ControlAddressTable.entry("/hal/param/\(parameter.name)"))
            #expect(entry.range == parameter.minimum...parameter.maximum)
            #expect(entry.accepts(typeTags: "f") && entry.accepts(typeTags: "i") && entry.accepts(typeTags: ""))
            #expect(!entry.accepts(typeTags: "s") && !entry.accepts(typeTags: "ff"))
        }
        #expect(ControlAddressTable.entry("/hal/learn")?.accepts(typeTags: "T") == true)
        #expect(ControlAddressTable.entry("/hal/ping")?.accepts(typeTags: "sfib") == true)
        #expect(ControlAddressTable.entry("/hal/nowhere") == nil)
    }

    @Test("/hal/describe is valid JSON in OSCQuery's shape")
    func describe() throws {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(ControlAddressTable.describeJSON().utf8)) as? [String: Any])
        let contents = try #require(object["CONTENTS"] as? [String: [String: Any]])
        #expect(contents.count == ControlAddressTable.entries.count)
        let density = try #require(contents["param/density"])
        #expect(density["FULL_PATH"] as? String == "/hal/param/density")
        #expect(density["ACCESS"] as? Int == 3)
        #expect((density["RANGE"] as? [[String: Any]])?.first?["MAX"] as? Int == 1)
    }
}
