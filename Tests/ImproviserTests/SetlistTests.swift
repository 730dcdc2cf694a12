import Improviser
import MusicHalCore
import Testing

@Suite("Setlist")
struct SetlistTests {
    private func threePieces() throws -> Setlist {
        try Setlist(
            name: "Friday",
            pieces: [
                SetlistPiece(name: "Opening", model: "set1", mode: .imitate, durationMinutes: 8),
                SetlistPiece(name: "Ballad", model: "ballad", mode: .lead, parameters: ["density": 0.3]),
                SetlistPiece(name: "", model: "storm", patch: try SynthPatch(bankMSB: 1, bankLSB: 2, program: 40)),
            ])
    }

    @Test("the cursor steps forward and back, and goto jumps")
    func cursor() throws {
        var setlist = try threePieces()
        #expect(setlist.index == 0 && setlist.current.name == "Opening")
        #expect(setlist.upcoming?.model == "ballad")
        #expect(try setlist.next().name == "Ballad")
        #expect(try setlist.next().name == "storm", "a piece without a name is called by its model")
        #expect(setlist.upcoming == nil)
        #expect(try setlist.previous().model == "ballad")
        #expect(try setlist.goto(0).model == "set1")
        #expect(try setlist.goto(2).model == "storm" && setlist.index == 2)
    }

    @Test("stepping past either end or out of range is a clear error and changes nothing")
    func edges() throws {
        var setlist = try threePieces()
        #expect(throws: MusicianshipError.setlistEdge("already at the first piece (0 'Opening')")) {
            try setlist.previous()
        }
        try setlist.goto(2)
        #expect(throws: MusicianshipError.setlistEdge("already at the last piece (2 'storm' of 3)")) {
            try setlist.next()
        }
        #expect(throws: MusicianshipError.setlistIndexOutOfRange(index: 3, count: 3)) { try setlist.goto(3) }
        #expect(throws: MusicianshipError.setlistIndexOutOfRange(index: -1, count: 3)) { try setlist.goto(-1) }
        #expect(setlist.index == 2)
        #expect(
            MusicianshipError.setlistIndexOutOfRange(index: 3, count: 3).description
                == "piece 3 does not exist: the setlist has 3 pieces (0...2)")
        #expect(throws: MusicianshipError.emptySetlist) { try Setlist(pieces: []) }
    }

    @Test("a patch becomes bank select MSB, LSB and program change, in that order")
    func patchMessages() throws {
        let full = try SynthPatch(bankMSB: 1, bankLSB: 2, program: 40)
        #expect(full.messages(channel: 0).map(\.description) == ["B0 00 01", "B0 20 02", "C0 28"])
        let programOnly = try SynthPatch(program: 0)
        #expect(programOnly.messages(channel: 15).map(\.description) == ["CF 00"])
        let msbOnly = try SynthPatch(bankMSB: 121, program: 127)
        #expect(msbOnly.messages(channel: 1).map(\.description) == ["B1 00 79", "C1 7F"])
        #expect(throws: MusicianshipError.badSetlistPiece("the program must be 0...127 on the wire, got 128")) {
            try SynthPatch(program: 128)
        }
        #expect(throws: MusicianshipError.badSetlistPiece("the bank LSB must be 0...127 on the wire, got -1")) {
            try SynthPatch(bankLSB: -1, program: 1)
        }
    }

    @Test("pieces check their model, duration and parameters")
    func pieceValidation() throws {
        #expect(throws: MusicianshipError.badSetlistPiece("the model name must not be empty")) {
            try SetlistPiece(name: "x", model: "")
        }
        #expect(throws: MusicianshipError.self) { try SetlistPiece(name: "x", model: "m", durationMinutes: 0) }
        #expect {
            try SetlistPiece(name: "x", model: "m", parameters: ["loudness": 1])
        } throws: { error in
            (error as? MusicianshipError)?.description.contains("unknown parameter 'loudness'") == true
        }
        #expect {
            try SetlistPiece(name: "x", model: "m", parameters: ["density": 3])
        } throws: { error in
            (error as? MusicianshipError)?.description.contains("density = 3.0 is out of range") == true
        }
        // Bounds that only fit together with the parameters in force are accepted here.
        let piece = try SetlistPiece(name: "low", model: "m", parameters: ["melody_low": 100, "melody_high": 120])
        #expect(piece.parameterList.map(\.name) == ["melody_high", "melody_low"])
        var parameters = AgentParameters()
        try parameters.set(piece.parameterList)
        #expect(parameters.register(of: .melody) == 100...120)
    }
}
