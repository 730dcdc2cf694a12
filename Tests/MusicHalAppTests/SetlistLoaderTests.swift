import Foundation
import Improviser
import MusicHalApp
import MusicHalCore
import Testing

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

@Suite("Setlist loader")
struct SetlistLoaderTests {
    @Test("the shipped example setlist loads with every field")
    func example() throws {
        let path = packageRoot.appendingPathComponent("Config/setlist.example.yaml").path
        let setlist = try SetlistLoader.load(path: path)
        #expect(setlist.name == "Friday at the Vortex")
        #expect(setlist.pieces.map(\.name) == ["Opening", "Ballad", "Storm"])
        #expect(setlist.pieces.map(\.model) == ["set1", "ballad-2024", "storm"])
        #expect(setlist.pieces.map(\.mode) == [.imitate, .lead, .contrast])
        #expect(setlist.pieces.map(\.durationMinutes) == [8, 6.5, nil])
        let opening = setlist.pieces[0]
        #expect(opening.parameters == ["density": 0.4, "give_space": 0.6])
        #expect(opening.patch == (try SynthPatch(bankMSB: 0, bankLSB: 0, program: 0)))
        #expect(opening.patch?.messages(channel: 0).map(\.description) == ["B0 00 00", "B0 20 00", "C0 00"])
        let ballad = setlist.pieces[1]
        #expect(ballad.patch?.messages(channel: 2).map(\.description) == ["C2 28"], "program 41 is sent as 40")
        #expect(ballad.parameters["melody_low"] == 60)
        #expect(setlist.pieces[2].patch == nil)
        #expect(setlist.index == 0)
    }

    @Test("minimal pieces: only a model; the name defaults to it")
    func minimal() throws {
        let setlist = try SetlistLoader.parse("pieces:\n  - model: a\n  - {model: b, name: Second}\n", file: "s.yaml")
        #expect(setlist.name == nil)
        #expect(setlist.pieces.map(\.name) == ["a", "Second"])
        #expect(setlist.pieces[0].mode == nil && setlist.pieces[0].parameters.isEmpty)
    }

    @Test(
        "each problem gives one error naming the file, the line and the key",
        arguments: [
            ("pieces:\n  - model: a\n    colour: blue\n", 3, "pieces[0].colour", "unknown key"),
            ("pieces:\n  - modle: a\n", 2, "pieces[0].modle", "unknown key"),
            ("name: x\npieces:\n  - name: no model\n", 3, "pieces[0].model", "missing: every piece needs a model"),
            ("pieces:\n  - model: a\n  - model: b\n    mode: loud\n", 4, "pieces[1].mode", "not one of: imitate"),
            ("pieces:\n  - model: a\n    duration_minutes: long\n", 3, "pieces[0].duration_minutes", "a number"),
            ("pieces:\n  - model: a\n    duration_minutes: -2\n", 3, "pieces[0].duration_minutes", "positive"),
            (
                "pieces:\n  - model: a\n    parameters: {density: 2}\n", 3, "pieces[0].parameters.density",
                "out of range"
            ),
            (
                "pieces:\n  - model: a\n    parameters:\n      volume: 1\n", 4, "pieces[0].parameters.volume",
                "unknown parameter 'volume'"
            ),
            (
                "pieces:\n  - model: a\n    parameters: {phrase_min: 2.5}\n", 3, "pieces[0].parameters.phrase_min",
                "needs a number"
            ),
            ("pieces:\n  - model: a\n    midi: {program: 0}\n", 3, "pieces[0].midi.program", "out of range 1...128"),
            (
                "pieces:\n  - model: a\n    midi: {bank_msb: 200, program: 1}\n", 3, "pieces[0].midi.bank_msb",
                "out of range 0...127"
            ),
            ("pieces:\n  - model: a\n    midi: {bank_msb: 1}\n", 3, "pieces[0].midi.program", "missing"),
            ("pieces:\n  - model: a\n    midi: {patch: 3, program: 1}\n", 3, "pieces[0].midi.patch", "unknown key"),
            ("pieces:\n  - model: ../etc/passwd\n", 2, "pieces[0].model", "invalid model name"),
            ("pieces:\n  - model: [a, b]\n", 2, "pieces[0].model", "single value"),
            ("pieces:\n  - set1\n", 2, "pieces[0]", "mapping"),
            ("pieces: []\n", 1, "pieces", "non-empty list"),
            ("pieces: set1\n", 1, "pieces", "non-empty list"),
            ("name: x\n", 1, "", "missing 'pieces'"),
            ("name: x\nsongs: []\n", 2, "songs", "unknown key (known: name, pieces)"),
            ("pieces:\n  - model: a\n    model: b\n", 2, "model", "appears twice"),
            ("pieces:\n  - model: a\n   mode: lead\n", 3, "", "not valid YAML"),
        ] as [(String, Int, String, String)])
    func errors(text: String, line: Int, key: String, words: String) {
        do {
            let setlist = try SetlistLoader.parse(text, file: "/home/hal/set.yaml")
            Issue.record("accepted \(text): \(setlist)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.key == key, "\(error)")
            #expect(error.description.contains(words), "\(error)")
            let prefix = key.isEmpty ? "/home/hal/set.yaml:\(line): " : "/home/hal/set.yaml:\(line): \(key): "
            #expect(error.description.hasPrefix(prefix), "\(error)")
        }
    }

    @Test("file-level problems: missing file, empty file, not YAML")
    func fileProblems() {
        #expect(
            throws: SetlistError(
                file: "/nonexistent/set.yaml", line: nil, key: "", problem: "the setlist file does not exist")
        ) {
            try SetlistLoader.load(path: "/nonexistent/set.yaml")
        }
        #expect(throws: SetlistError(file: "e.yaml", line: nil, key: "", problem: "the setlist is empty")) {
            try SetlistLoader.parse("# nothing\n", file: "e.yaml")
        }
        do {
            _ = try SetlistLoader.parse("pieces: [model: a\n", file: "bad.yaml")
            Issue.record("accepted broken YAML")
        } catch {
            #expect(error.description.hasPrefix("bad.yaml:2: not valid YAML"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("bounds that fit together only with the parameters in force are accepted and apply together")
    func jointBounds() throws {
        let setlist = try SetlistLoader.parse(
            "pieces:\n  - model: a\n    parameters: {melody_low: 100, melody_high: 120}\n", file: "j.yaml")
        var parameters = AgentParameters()
        try parameters.set(setlist.current.parameterList)
        #expect(parameters.register(of: .melody) == 100...120)
    }
}
