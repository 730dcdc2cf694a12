import Foundation
import MusicHalCore
import Testing

@testable import ALSAAdapter

/// ALSA sequencer output. This host has no /dev/snd (no sound kernel modules can be loaded in CI containers), so
/// real sequencer I/O (a client visible to `aconnect`, events reaching a subscriber on time) cannot run here: it is
/// a manual check on a host with snd-seq. What runs here: the event encoding, checked field by field against the
/// ALSA ABI values and cross-checked with alsa-lib's own MIDI encoder/decoder, and the clean failure to open.
@Suite("ALSA sequencer output")
struct SequencerTests {
    // ALSA ABI constants (alsa/seq_event.h), written out so the checks do not reuse the adapter's code.
    private static let noteOnType: UInt8 = 6
    private static let noteOffType: UInt8 = 7
    private static let controllerType: UInt8 = 10
    private static let programChangeType: UInt8 = 11
    private static let channelPressureType: UInt8 = 12
    private static let pitchBendType: UInt8 = 13
    private static let subscribers: UInt8 = 254
    private static let unknownPort: UInt8 = 253
    private static let directQueue: UInt8 = 253
    private static let realTimeStamp: UInt8 = 1 << 0
    private static let relativeTime: UInt8 = 1 << 1

    /// A message and the event fields it must produce: (type, channel, note, velocity, parameter, value).
    struct Case: Sendable, CustomTestStringConvertible {
        var message: MIDIMessage
        var type: UInt8
        var channel: UInt8
        var note: UInt8 = 0
        var velocity: UInt8 = 0
        var parameter: UInt32 = 0
        var value: Int32 = 0
        var testDescription: String { message.description }
    }

    static let cases: [Case] = [
        Case(
            message: .noteOn(channel: 0, note: 60, velocity: 100), type: noteOnType, channel: 0, note: 60, velocity: 100
        ),
        Case(
            message: .noteOff(channel: 15, note: 127, velocity: 64), type: noteOffType, channel: 15, note: 127,
            velocity: 64),
        Case(
            message: .controlChange(channel: 3, controller: 74, value: 127), type: controllerType, channel: 3,
            parameter: 74, value: 127),
        Case(message: .programChange(channel: 9, program: 42), type: programChangeType, channel: 9, value: 42),
        Case(message: .channelPressure(channel: 1, pressure: 90), type: channelPressureType, channel: 1, value: 90),
        Case(message: .pitchBend(channel: 2, value: 8192), type: pitchBendType, channel: 2, value: 0),
        Case(message: .pitchBend(channel: 2, value: 8192 + 300), type: pitchBendType, channel: 2, value: 300),
        Case(message: .pitchBend(channel: 4, value: 0), type: pitchBendType, channel: 4, value: -8192),
        Case(message: .pitchBend(channel: 4, value: 16383), type: pitchBendType, channel: 4, value: 8191),
    ]

    @Test("Each message fills the event's type and data fields", arguments: cases)
    func encoding(_ testCase: Case) throws {
        let event = try #require(SequencerEvent(message: testCase.message, sourcePort: 3, queue: nil))
        let fields = event.fields
        #expect(fields.type == testCase.type)
        #expect(fields.channel == testCase.channel)
        #expect(fields.note == testCase.note)
        #expect(fields.velocity == testCase.velocity)
        #expect(fields.parameter == testCase.parameter)
        #expect(fields.value == testCase.value)
        // Addressing: from our port 3 to every subscriber of it.
        #expect(fields.sourcePort == 3)
        #expect(fields.destinationClient == Self.subscribers)
        #expect(fields.destinationPort == Self.unknownPort)
    }

    @Test("Without a queue the event is direct; with one it is stamped in real time, relative, with the delay")
    func scheduling() throws {
        let direct = try #require(
            SequencerEvent(message: .noteOn(channel: 0, note: 60, velocity: 1), sourcePort: 0, queue: nil))
        #expect(direct.fields.queue == Self.directQueue)
        let queued = try #require(
            SequencerEvent(
                message: .noteOn(channel: 0, note: 60, velocity: 1), sourcePort: 0, queue: 5,
                delayNanoseconds: 2_250_000_123))
        #expect(queued.fields.queue == 5)
        #expect(queued.fields.flags & Self.realTimeStamp != 0)
        #expect(queued.fields.flags & Self.relativeTime != 0)
        #expect(queued.fields.seconds == 2)
        #expect(queued.fields.nanoseconds == 250_000_123)
        let absolute = try #require(
            SequencerEvent(
                message: .noteOff(channel: 0, note: 60), sourcePort: 0, queue: 1, relative: false,
                delayNanoseconds: 5))
        #expect(absolute.fields.flags & Self.relativeTime == 0)
        #expect(absolute.fields.flags & Self.realTimeStamp != 0)
    }

    @Test("alsa-lib's snd_midi_event decodes our events to the message's bytes", arguments: cases)
    func decodesToMessageBytes(_ testCase: Case) throws {
        let codec = try MIDIEventCodec()
        let event = try #require(SequencerEvent(message: testCase.message, sourcePort: 0, queue: nil))
        #expect(codec.decode(event) == testCase.message.bytes)
    }

    @Test("snd_midi_event round trip: bytes → event → bytes, and its event matches ours", arguments: cases)
    func roundTrip(_ testCase: Case) throws {
        let codec = try MIDIEventCodec()
        let events = codec.encode(testCase.message.bytes)
        try #require(events.count == 1)
        let decoded = events[0].fields
        #expect(decoded.type == testCase.type)
        #expect(decoded.channel == testCase.channel)
        #expect(decoded.note == testCase.note)
        #expect(decoded.velocity == testCase.velocity)
        #expect(decoded.parameter == testCase.parameter)
        #expect(decoded.value == testCase.value)
        #expect(codec.decode(events[0]) == testCase.message.bytes)
    }

    @Test("snd_midi_event turns 90 3C 64 into NOTEON and back, message by message in a stream")
    func streamOfBytes() throws {
        let codec = try MIDIEventCodec()
        let events = codec.encode([0x90, 0x3C, 0x64, 0x80, 0x3C, 0x40, 0xB1, 0x07, 0x64])
        #expect(events.map(\.fields.type) == [Self.noteOnType, Self.noteOffType, Self.controllerType])
        #expect(events.flatMap { codec.decode($0) } == [0x90, 0x3C, 0x64, 0x80, 0x3C, 0x40, 0xB1, 0x07, 0x64])
    }

    @Test("Opening the sequencer without /dev/snd/seq fails with one clear ENOENT error, not a crash")
    func openFailsCleanly() throws {
        let output = try ALSASequencerOutput(configuration: ALSASequencerConfiguration(), sampleRate: 48_000)
        guard !FileManager.default.fileExists(atPath: "/dev/snd/seq") else {
            // A host with a sequencer: opening must work and give the client an address (manual check territory).
            try output.open()
            #expect(output.address != nil)
            output.close()
            return
        }
        #expect(throws: ALSAError.sequencerUnavailable(name: "default", code: -2, reason: "No such file or directory"))
        {
            try output.open()
        }
        #expect(
            ALSAError.sequencerUnavailable(name: "default", code: -2, reason: "No such file or directory").description
                == "cannot open ALSA sequencer 'default': No such file or directory "
                + "(no /dev/snd/seq: is the snd-seq kernel module loaded?)")
        // Unopened, it refuses work without crashing: scheduling drops and counts, flushing throws.
        #expect(output.address == nil)
        #expect(!output.schedule(TimedMIDIMessage(frame: 0, message: .noteOn(channel: 0, note: 60, velocity: 9))))
        #expect(output.droppedMessages == 1)
        #expect(throws: ALSAError.sequencerNotOpen) { try output.flush() }
        try output.finish(at: 0)
    }

    @Test(
        "Bad sequencer configurations are refused",
        arguments: [
            ALSASequencerConfiguration(clientName: ""), ALSASequencerConfiguration(portNames: []),
            ALSASequencerConfiguration(portNames: [""]),
        ])
    func invalidConfiguration(_ configuration: ALSASequencerConfiguration) {
        #expect {
            try ALSASequencerOutput(configuration: configuration, sampleRate: 48_000)
        } throws: { error in
            guard let error = error as? ALSAError, case .invalidConfiguration = error else { return false }
            return true
        }
    }
}
