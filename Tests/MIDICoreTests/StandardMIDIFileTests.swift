import MIDICore
import MusicHalCore
import Testing

@Suite("Standard MIDI File writer")
struct StandardMIDIFileWriterTests {
    @Test("A one-note file, byte for byte")
    func exactBytes() throws {
        let track = StandardMIDIFile.Track(
            name: "In",
            messages: [
                TimedMIDIMessage(frame: 48_000, message: .noteOff(channel: 0, note: 60)),
                TimedMIDIMessage(frame: 0, message: .noteOn(channel: 0, note: 60, velocity: 100)),
            ])
        let file = try StandardMIDIFile(sampleRate: 48_000, tracks: [track])
        let expected = [
            "4D 54 68 64 00 00 00 06 00 01 00 02 03 C0",  // MThd, format 1, 2 tracks, 960 per quarter
            "4D 54 72 6B 00 00 00 14",  // tempo track
            "00 FF 58 04 04 02 18 08", "00 FF 51 03 07 A1 20", "8F 00 FF 2F 00",
            "4D 54 72 6B 00 00 00 13",  // "In"
            "00 FF 03 02 49 6E", "00 90 3C 64", "8F 00 80 3C 40", "00 FF 2F 00",
        ].joined(separator: " ")
        #expect(hex(bytes: file.encoded()) == expected)
    }

    @Test(
        "tick = round(frame / sampleRate × 1920)",
        arguments: [
            (FrameTime(0), 48_000.0, UInt64(0)),
            (12, 48_000, 0),
            (13, 48_000, 1),
            (25, 48_000, 1),
            (48_000, 48_000, 1920),
            (44_100, 44_100, 1920),
            (22_050, 44_100, 960),
            (FrameTime.max, 1.0, UInt64.max),
        ])
    func ticks(frame: FrameTime, sampleRate: Double, expected: UInt64) {
        #expect(StandardMIDIFile.tick(forFrame: frame, sampleRate: sampleRate) == expected)
    }

    @Test("Invalid sample rates are refused", arguments: [0.0, -48_000, .nan, .infinity])
    func invalidSampleRate(rate: Double) {
        #expect(throws: MIDICoreError.self) { try StandardMIDIFile(sampleRate: rate) }
        #expect(throws: MIDICoreError.self) { try StandardMIDIFileRecorder(sampleRate: rate, trackNames: ["x"]) }
    }

    @Test("Write then parse gives the same messages, within one tick", arguments: [44_100.0, 48_000, 96_000])
    func roundTrip(sampleRate: Double) throws {
        var random = SeededRandomGenerator(seed: UInt64(sampleRate))
        func randomMessages(_ count: Int) -> [TimedMIDIMessage] {
            (0..<count).map { _ in
                let channel = UInt8.random(in: 0...15, using: &random)
                let a = UInt8.random(in: 0...127, using: &random)
                let b = UInt8.random(in: 0...127, using: &random)
                let message: MIDIMessage =
                    switch Int.random(in: 0..<6, using: &random) {
                    case 0: .noteOn(channel: channel, note: a, velocity: b)
                    case 1: .noteOff(channel: channel, note: a, velocity: b)
                    case 2: .controlChange(channel: channel, controller: a, value: b)
                    case 3: .programChange(channel: channel, program: a)
                    case 4: .channelPressure(channel: channel, pressure: a)
                    default: .pitchBend(channel: channel, value: UInt16(a) << 7 | UInt16(b))
                    }
                return TimedMIDIMessage(
                    frame: FrameTime.random(in: 0...(600 * 48_000), using: &random), message: message)
            }
        }
        let answer = randomMessages(500)
        let input = randomMessages(300)
        let file = try StandardMIDIFile(
            sampleRate: sampleRate,
            tracks: [.init(name: "MusicHal answer", messages: answer), .init(name: "Input", messages: input)])
        let parsed = try StandardMIDIFile.parse(file.encoded())
        #expect(parsed.format == 1)
        #expect(parsed.timeDivision == .ticksPerQuarterNote(960))
        #expect(parsed.tracks.map(\.name) == [nil, "MusicHal answer", "Input"])
        #expect(parsed.tempoChanges == [MIDITempoChange(tick: 0, microsecondsPerQuarterNote: 500_000, seconds: 0)])
        let oneTick = sampleRate / StandardMIDIFile.ticksPerSecond
        for (original, track) in [(answer, parsed.tracks[1]), (input, parsed.tracks[2])] {
            let ordered = original.enumerated().sorted { ($0.element.frame, $0.offset) < ($1.element.frame, $1.offset) }
                .map(\.element)
            #expect(track.events.map(\.message) == ordered.map(\.message))
            for (event, message) in zip(track.events, ordered) {
                let error = Double(event.frame(sampleRate: sampleRate)) - Double(message.frame)
                #expect(abs(error) <= oneTick)
                #expect(abs(event.seconds - Double(message.frame) / sampleRate) <= 1 / StandardMIDIFile.ticksPerSecond)
            }
        }
    }

    @Test("Parsed tracks give back timed messages at the recording's sample rate")
    func timedMessagesBack() throws {
        let original = [
            TimedMIDIMessage(frame: 735, message: .noteOn(channel: 2, note: 64, velocity: 80)),  // 32 ticks exactly
            TimedMIDIMessage(frame: 88_200, message: .noteOff(channel: 2, note: 64)),
        ]
        let file = try StandardMIDIFile(sampleRate: 44_100, tracks: [.init(name: "Input", messages: original)])
        let track = try #require(try StandardMIDIFile.parse(file.encoded()).track(named: "Input"))
        #expect(track.timedMessages(sampleRate: 44_100) == original)
    }

    @Test("Gaps beyond 28 bits of ticks are bridged, not truncated")
    func hugeGap() throws {
        let frame = FrameTime(VariableLengthQuantity.maximum) + 5
        let track = StandardMIDIFile.Track(
            name: "", messages: [TimedMIDIMessage(frame: frame, message: .noteOn(channel: 0, note: 1, velocity: 1))])
        let encoded = try StandardMIDIFile(sampleRate: StandardMIDIFile.ticksPerSecond, tracks: [track]).encoded()
        #expect(hex(bytes: encoded).contains("00 FF 03 00 FF FF FF 7F FF 01 00 05 90 01 01"))
        let parsed = try StandardMIDIFile.parse(encoded)
        #expect(parsed.tracks[1].events.first?.tick == UInt64(frame))
        #expect(parsed.tracks[1].events.count == 1)
    }
}

@Suite("Standard MIDI File recorder")
struct StandardMIDIFileRecorderTests {
    private let noteOn = MIDIMessage.noteOn(channel: 0, note: 60, velocity: 90)
    private let noteOff = MIDIMessage.noteOff(channel: 0, note: 60)

    @Test("The file is complete at every moment and grows as messages arrive")
    func incremental() throws {
        var recorder = try StandardMIDIFileRecorder(sampleRate: 48_000, trackNames: ["MusicHal answer", "Input"])
        let empty = try StandardMIDIFile.parse(recorder.encoded())
        #expect(empty.tracks.count == 3)
        #expect(empty.tracks.allSatisfy { $0.events.isEmpty })

        recorder.append(TimedMIDIMessage(frame: 4800, message: noteOn), toTrack: 0)
        let first = try StandardMIDIFile.parse(recorder.encoded())
        #expect(first.tracks[1].events.map(\.tick) == [192])
        #expect(first.tracks[2].events.isEmpty)

        recorder.append(
            contentsOf: [
                TimedMIDIMessage(frame: 9600, message: noteOff), TimedMIDIMessage(frame: 9600, message: noteOn),
            ],
            toTrack: 0)
        recorder.append(
            TimedMIDIMessage(frame: 100, message: .controlChange(channel: 3, controller: 1, value: 2)), toTrack: 1)
        let second = try StandardMIDIFile.parse(recorder.encoded())
        #expect(hex(second.tracks[1].events.map(\.message)) == "90 3C 5A 80 3C 40 90 3C 5A")
        #expect(second.tracks[1].events.map(\.tick) == [192, 384, 384])
        #expect(hex(second.tracks[2].events.map(\.message)) == "B3 01 02")
        #expect(recorder.messageCount(track: 0) == 3)
        #expect(recorder.messageCount(track: 1) == 1)
        #expect(NotePairing.pair(second.tracks[1].events).unpairedNoteOnIndices == [2])
    }

    @Test("The recorder writes exactly what the file model writes")
    func matchesFileModel() throws {
        let messages = (0..<50).map { index in
            TimedMIDIMessage(
                frame: FrameTime(index * 1000), message: .controlChange(channel: 1, controller: 74, value: UInt8(index))
            )
        }
        var recorder = try StandardMIDIFileRecorder(sampleRate: 44_100, trackNames: ["A", "B"])
        recorder.append(contentsOf: messages, toTrack: 1)
        let model = try StandardMIDIFile(
            sampleRate: 44_100, tracks: [.init(name: "A"), .init(name: "B", messages: messages)])
        #expect(recorder.encoded() == model.encoded())
    }

    @Test("endFrame places every end-of-track at the end of the recording")
    func endFrame() throws {
        var recorder = try StandardMIDIFileRecorder(sampleRate: 48_000, trackNames: ["A", "B"])
        recorder.append(TimedMIDIMessage(frame: 48_000, message: noteOn), toTrack: 0)
        let parsed = try StandardMIDIFile.parse(recorder.encoded(endFrame: 96_000))
        #expect(parsed.tracks.map(\.endTick) == [3840, 3840, 3840])
        let short = try StandardMIDIFile.parse(recorder.encoded(endFrame: 10))
        #expect(short.tracks.map(\.endTick) == [1920, 1920, 1920])
    }

    @Test("A message earlier than the track's last is written at the last time")
    func outOfOrderAppend() throws {
        var recorder = try StandardMIDIFileRecorder(sampleRate: 48_000, trackNames: ["A"])
        recorder.append(TimedMIDIMessage(frame: 48_000, message: noteOn), toTrack: 0)
        recorder.append(TimedMIDIMessage(frame: 24_000, message: noteOff), toTrack: 0)
        let parsed = try StandardMIDIFile.parse(recorder.encoded())
        #expect(parsed.tracks[1].events.map(\.tick) == [1920, 1920])
    }

    @Test("Track names keep their UTF-8 text")
    func unicodeNames() throws {
        let recorder = try StandardMIDIFileRecorder(sampleRate: 48_000, trackNames: ["Réponse ♪"])
        #expect(try StandardMIDIFile.parse(recorder.encoded()).track(named: "Réponse ♪") != nil)
    }
}
