import Foundation
import MusicHalCore
import RealtimeSupport
import Testing

@testable import ALSAAdapter

/// ALSA sequencer input. This host has no /dev/snd/seq (no sound kernel modules in CI containers), so a real
/// keyboard reaching the port (`aconnect KEYBOARD musichal-in:0`) cannot run here: that is a manual check on a host
/// with snd-seq. What runs here: decoding of received sequencer events, including events made by alsa-lib's own
/// MIDI byte encoder (what a keyboard's bytes become), and the clean failure to open.
@Suite("ALSA sequencer input")
struct SequencerInputTests {
    @Test("each event our output builds decodes back to its message", arguments: SequencerTests.cases)
    func decodesOwnEvents(_ testCase: SequencerTests.Case) throws {
        let event = try #require(SequencerEvent(message: testCase.message, sourcePort: 0, queue: nil))
        #expect(event.midiMessage == testCase.message)
    }

    @Test("a keyboard's bytes, as alsa-lib encodes them, decode to the messages (velocity 0 = note-off)")
    func decodesEncodedBytes() throws {
        let codec = try MIDIEventCodec()
        let bytes: [UInt8] = [
            0x90, 0x3C, 0x64, 0x90, 0x3C, 0x00, 0x99, 0x24, 0x7F, 0x89, 0x24, 0x10, 0xB0, 0x40, 0x7F, 0xE1, 0x00,
            0x40, 0xC2, 0x05, 0xD3, 0x30,
        ]
        let messages = codec.encode(bytes).map(\.midiMessage)
        #expect(
            messages == [
                .noteOn(channel: 0, note: 60, velocity: 100), .noteOff(channel: 0, note: 60, velocity: 64),
                .noteOn(channel: 9, note: 36, velocity: 127), .noteOff(channel: 9, note: 36, velocity: 16),
                .controlChange(channel: 0, controller: 64, value: 127), .pitchBend(channel: 1, value: 8192),
                .programChange(channel: 2, program: 5), .channelPressure(channel: 3, pressure: 48),
            ])
    }

    @Test("events that carry no channel message are skipped: clock, active sensing, poly pressure, sysex")
    func skipsOtherEvents() throws {
        let codec = try MIDIEventCodec()
        let events = codec.encode([0xF8, 0xFE, 0xA0, 0x3C, 0x10, 0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7])
        #expect(events.count >= 3)
        #expect(events.allSatisfy { $0.midiMessage == nil })
    }

    @Test("opening without /dev/snd/seq fails with one clear ENOENT error; unopened it refuses to start")
    func openFailsCleanly() throws {
        let input = try ALSASequencerInput(configuration: ALSASequencerInputConfiguration())
        let bridge = RealtimeBridge(maxPeriodFrames: 256) {}
        guard !FileManager.default.fileExists(atPath: "/dev/snd/seq") else {
            // A host with a sequencer: the port must open and get an address (manual check territory).
            try input.open()
            #expect(input.address != nil)
            input.close()
            return
        }
        #expect(throws: ALSAError.sequencerUnavailable(name: "default", code: -2, reason: "No such file or directory"))
        {
            try input.open()
        }
        #expect(input.address == nil)
        #expect(throws: ALSAError.sequencerNotOpen) { try input.start(into: bridge) { 0 } }
        input.stop()
        input.close()
        #expect(bridge.midiInput.isEmpty && input.receivedMessages == 0)
    }

    @Test(
        "Bad sequencer input configurations are refused",
        arguments: [
            ALSASequencerInputConfiguration(clientName: ""), ALSASequencerInputConfiguration(portName: ""),
            ALSASequencerInputConfiguration(connections: ["20:0", ""]),
        ])
    func invalidConfiguration(_ configuration: ALSASequencerInputConfiguration) {
        #expect {
            try ALSASequencerInput(configuration: configuration)
        } throws: { error in
            guard let error = error as? ALSAError, case .invalidConfiguration = error else { return false }
            return true
        }
    }
}
