import Foundation
import MIDICore
import MusicHalCore
import Testing

@Suite("musichal demo, end to end", .serialized)
struct DemoEndToEndTests {
    @Test("the demo trains, answers the recording, and writes a MIDI file whose note-ons and note-offs pair up")
    func demo() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let midiPath = runner.home.appendingPathComponent("answer.mid").path
        let result = try runner.run(["demo", "--fast", "--seed", "3", "-o", midiPath])
        #expect(result.status == 0, "stderr: \(result.standardError)")
        #expect(result.standardOutput.contains("MIDI answer written to \(midiPath)"))
        #expect(result.standardOutput.contains(" answer "))  // notes printed as they sound
        let modelPath = runner.home.appendingPathComponent(".local/share/musichal/models/demo.halmodel").path
        #expect(FileManager.default.fileExists(atPath: modelPath))

        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: midiPath)))
        let file = try StandardMIDIFile.parse(bytes)
        let answer = try #require(file.track(named: "MusicHal answer"))
        let noteOns = answer.events.filter { $0.message.isNoteOn }
        #expect(noteOns.count >= 10)
        let pairing = NotePairing.pair(answer.events)
        #expect(pairing.unpairedNoteOnIndices.isEmpty)
        #expect(pairing.pairs.count == noteOns.count)
        let input = try #require(file.track(named: "Input"))
        #expect(abs(input.events.filter { $0.message.isNoteOn }.count - 126) <= 3)  // the minuet has 126 notes
    }

    @Test("the same seed gives the same MIDI answer")
    func reproducible() throws {
        let runner = try CommandRunner()
        defer { runner.cleanUp() }
        let first = runner.home.appendingPathComponent("a.mid").path
        let second = runner.home.appendingPathComponent("b.mid").path
        #expect(try runner.run(["demo", "--fast", "--seed", "9", "-o", first]).status == 0)
        #expect(try runner.run(["demo", "--fast", "--seed", "9", "-o", second]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
    }
}
