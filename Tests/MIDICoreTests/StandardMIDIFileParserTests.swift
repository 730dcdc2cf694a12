import MIDICore
import MusicHalCore
import Testing

/// A chunk with its four-character type and big-endian length.
private func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
    let length = UInt32(body.count)
    return Array(type.utf8) + [
        UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF),
    ]
        + body
}

/// A header chunk.
private func header(format: UInt16 = 0, tracks: UInt16 = 1, division: UInt16 = 96) -> [UInt8] {
    chunk(
        "MThd",
        [
            UInt8(format >> 8), UInt8(format & 0xFF), UInt8(tracks >> 8), UInt8(tracks & 0xFF), UInt8(division >> 8),
            UInt8(division & 0xFF),
        ])
}

/// A format 0 file with one track holding `body`.
private func singleTrackFile(_ body: String, division: UInt16 = 96) -> [UInt8] {
    header(division: division) + chunk("MTrk", bytes(body))
}

@Suite("Standard MIDI File reader")
struct StandardMIDIFileParserTests {
    /// Running status (also after a meta event), Note On velocity 0, sysex, an alien chunk, a tempo change,
    /// Polyphonic Key Pressure and every channel message kind.
    private static let richTrack = [
        "00 FF 03 04 53 6F 6C 6F",  // name "Solo"
        "00 F0 05 7E 7F 09 01 F7",  // sysex, skipped
        "00 90 3C 64",  // tick 0
        "00 40 50",  // running status
        "60 3C 00",  // tick 96: velocity 0 = Note Off
        "00 FF 01 03 61 62 63",  // text meta
        "00 40 00",  // running status still in effect
        "00 FF 51 03 03 D0 90",  // tick 96: tempo 250,000 µs per quarter
        "81 40 B0 07 64",  // tick 288
        "00 A0 3C 10",  // polyphonic key pressure: skipped
        "00 C1 05", "00 D1 20", "00 E1 00 40",
        "00 F7 02 01 02",  // escaped bytes, skipped
        "00 FF 2F 00",
    ].joined(separator: " ")

    @Test("Running status, meta, sysex, velocity-0 Note On and the tempo map")
    func richFile() throws {
        let file = header(tracks: 1) + chunk("XFIH", bytes("01 02 03")) + chunk("MTrk", bytes(Self.richTrack))
        let parsed = try StandardMIDIFile.parse(file)
        #expect(parsed.format == 0)
        #expect(parsed.timeDivision == .ticksPerQuarterNote(96))
        #expect(parsed.tracks.count == 1)
        let track = try #require(parsed.tracks.first)
        #expect(track.name == "Solo")
        #expect(hex(track.events.map(\.message)) == "90 3C 64 90 40 50 80 3C 40 80 40 40 B0 07 64 C1 05 D1 20 E1 00 40")
        #expect(track.events.map(\.tick) == [0, 0, 96, 96, 288, 288, 288, 288])
        #expect(track.events.map(\.seconds) == [0, 0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0])
        #expect(track.skippedMessageCount == 1)
        #expect(track.endTick == 288)
        #expect(parsed.tempoChanges == [MIDITempoChange(tick: 96, microsecondsPerQuarterNote: 250_000, seconds: 0.5)])
        #expect(parsed.seconds(atTick: 192) == 0.75)
        #expect(track.events[4].frame(sampleRate: 48_000) == 48_000)
    }

    @Test("A tempo change in one track times the events of another")
    func crossTrackTempo() throws {
        // One second per quarter, then half a second from tick 480.
        let tempoTrack = chunk("MTrk", bytes("00 FF 51 03 0F 42 40 83 60 FF 51 03 07 A1 20 00 FF 2F 00"))
        let notes = chunk("MTrk", bytes("83 60 90 3C 64 83 60 80 3C 40 00 FF 2F 00"))  // ticks 480 and 960
        let parsed = try StandardMIDIFile.parse(header(format: 1, tracks: 2, division: 480) + tempoTrack + notes)
        #expect(parsed.tracks[1].events.map(\.seconds) == [1.0, 1.5])
        #expect(parsed.allEvents.map(\.track) == [1, 1])
    }

    @Test("allEvents merges tracks by tick, keeping track order at equal ticks")
    func mergedEvents() throws {
        let first = chunk("MTrk", bytes("0A 90 01 01 0A 90 02 02"))  // ticks 10, 20; no end-of-track
        let second = chunk("MTrk", bytes("05 91 03 03 05 91 04 04 00 FF 2F 00"))  // ticks 5, 10
        let parsed = try StandardMIDIFile.parse(header(format: 1, tracks: 2) + first + second)
        #expect(parsed.allEvents.map(\.message.data1) == [3, 1, 4, 2])
        #expect(parsed.tracks[0].endTick == 20)
    }

    @Test("SMPTE time division: seconds from frames per second and ticks per frame")
    func smpteDivision() throws {
        // -25 fps, 40 ticks per frame = 1000 ticks per second; tempo events are ignored.
        let parsed = try StandardMIDIFile.parse(
            singleTrackFile("00 FF 51 03 07 A1 20 87 68 90 3C 64 00 FF 2F 00", division: 0xE728))
        #expect(parsed.timeDivision == .smpte(framesPerSecond: 25, ticksPerFrame: 40))
        #expect(parsed.tracks[0].events.first?.tick == 1000)
        #expect(parsed.tracks[0].events.first?.seconds == 1.0)
    }

    @Test(
        "Malformed files give clear errors",
        arguments: [
            ([UInt8](), MIDICoreError.truncatedFile(offset: 0)),
            (Array("MTh".utf8), .truncatedFile(offset: 3)),
            (Array("RIFF\0\0\0\u{4}RMID".utf8), .notAStandardMIDIFile),
            (chunk("MThd", bytes("00 00 00 01")), .invalidHeaderLength(4)),
            (header(format: 2), .unsupportedFormat(2)),
            (header(division: 0), .invalidTimeDivision(0)),
            (header(division: 0xE928), .invalidTimeDivision(0xE928)),  // -23 fps does not exist
            (header(tracks: 1), .truncatedFile(offset: 14)),
            (header(tracks: 2) + chunk("MTrk", bytes("00 FF 2F 00")), .truncatedFile(offset: 26)),
            (header() + bytes("4D 54 72 6B 00 00 00 08 00 90"), .truncatedFile(offset: 24)),
            (singleTrackFile("00 3C 64"), .missingRunningStatus(offset: 23)),
            (singleTrackFile("00 F8"), .unexpectedStatusByte(0xF8, offset: 23)),
            (singleTrackFile("00 90 3C 90"), .invalidDataByte(0x90, offset: 25)),
            (singleTrackFile("00 90 3C"), .truncatedFile(offset: 25)),
            (singleTrackFile("00 FF 51 02 07 A1"), .invalidMetaEvent(type: 0x51, offset: 23)),
            (singleTrackFile("00 FF 51 03 00 00 00"), .invalidMetaEvent(type: 0x51, offset: 23)),
            (singleTrackFile("00 FF 01 05 61"), .truncatedFile(offset: 27)),
            (singleTrackFile("81 81 81 81 01 90 3C 64"), .invalidVariableLengthQuantity(offset: 22)),
        ])
    func malformed(file: [UInt8], error: MIDICoreError) {
        #expect(throws: error) { try StandardMIDIFile.parse(file) }
    }

    /// A real recording: two tracks of notes, bends and controllers as MusicHal writes them.
    private func recordedFile() throws -> [UInt8] {
        var scheduler = NoteScheduler(mode: .mpe(.defaultLower), maximumNoteFrames: 48_000)
        let setUp = scheduler.setUp(at: 0)
        var random = SeededRandomGenerator(seed: 5)
        for index in 0..<40 {
            scheduler.schedule(
                Note(
                    pitch: UInt8.random(in: 40...90, using: &random),
                    cents: Double.random(in: -50...50, using: &random),
                    velocity: UInt8.random(in: 1...127, using: &random), startFrame: FrameTime(index * 4000),
                    durationFrames: FrameTime.random(in: 100...20_000, using: &random)))
        }
        var recorder = try StandardMIDIFileRecorder(sampleRate: 48_000, trackNames: ["MusicHal answer", "Input"])
        recorder.append(contentsOf: setUp, toTrack: 0)
        recorder.append(contentsOf: scheduler.popDue(before: .max), toTrack: 0)
        recorder.append(TimedMIDIMessage(frame: 10, message: .noteOn(channel: 0, note: 50, velocity: 60)), toTrack: 1)
        recorder.append(TimedMIDIMessage(frame: 90_000, message: .noteOff(channel: 0, note: 50)), toTrack: 1)
        return recorder.encoded()
    }

    @Test("A recorded performance parses with every note paired")
    func recordedPerformance() throws {
        let parsed = try StandardMIDIFile.parse(try recordedFile())
        let answer = try #require(parsed.track(named: "MusicHal answer"))
        let report = NotePairing.pair(answer.events)
        #expect(report.isClean)
        #expect(report.pairs.count == 40)
        #expect(NotePairing.pair(try #require(parsed.track(named: "Input")).events).isClean)
    }

    @Test("Every truncation of a real file throws instead of crashing")
    func truncations() throws {
        let file = try recordedFile()
        #expect(file.count > 1000)
        for length in 0..<file.count {
            #expect(throws: MIDICoreError.self) { try StandardMIDIFile.parse(Array(file.prefix(length))) }
        }
        #expect(throws: Never.self) { try StandardMIDIFile.parse(file) }
    }

    @Test("Corrupted and random bytes never crash the reader")
    func fuzz() throws {
        let file = try recordedFile()
        var random = SeededRandomGenerator(seed: 99)
        var parsedCount = 0
        var failedCount = 0
        for round in 0..<3000 {
            var corrupted = file
            if round % 10 == 9 {
                corrupted =
                    Array("MThd".utf8)
                    + (0..<Int.random(in: 0...64, using: &random)).map { _ in
                        UInt8.random(in: 0...255, using: &random)
                    }
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    // Skip the header so most corruptions reach the event reader.
                    corrupted[Int.random(in: 14..<corrupted.count, using: &random)] = UInt8.random(
                        in: 0...255, using: &random)
                }
            }
            do {
                let parsed = try StandardMIDIFile.parse(corrupted)
                parsedCount += 1
                for track in parsed.tracks {
                    #expect(zip(track.events, track.events.dropFirst()).allSatisfy { $0.tick <= $1.tick })
                    #expect(track.events.allSatisfy { $0.message.data1 < 0x80 && $0.message.data2 < 0x80 })
                    #expect(track.events.allSatisfy { $0.seconds.isFinite && $0.seconds >= 0 })
                }
            } catch {
                failedCount += 1
                #expect(!error.description.isEmpty)
            }
        }
        // Both paths were exercised.
        #expect(parsedCount > 100)
        #expect(failedCount > 100)
    }
}

@Suite("Note pairing")
struct NotePairingTests {
    @Test("Balanced notes pair first in, first out")
    func balanced() {
        let messages: [MIDIMessage] = [
            .noteOn(channel: 0, note: 60, velocity: 100),
            .noteOn(channel: 1, note: 60, velocity: 100),
            .controlChange(channel: 0, controller: 64, value: 0),
            .noteOff(channel: 0, note: 60),
            .noteOff(channel: 1, note: 60),
        ]
        let report = NotePairing.pair(messages)
        #expect(report.isClean)
        #expect(report.pairs == [.init(noteOnIndex: 0, noteOffIndex: 3), .init(noteOnIndex: 1, noteOffIndex: 4)])
    }

    @Test("A Note On without a later Note Off on the same channel and key is reported")
    func unpairedOn() {
        let messages: [MIDIMessage] = [
            .noteOn(channel: 0, note: 60, velocity: 100),
            .noteOff(channel: 0, note: 61),  // other key
            .noteOff(channel: 2, note: 60),  // other channel
            .noteOn(channel: 3, note: 10, velocity: 1),
        ]
        let report = NotePairing.pair(messages)
        #expect(report.unpairedNoteOnIndices == [0, 3])
        #expect(report.unpairedNoteOffIndices == [1, 2])
        #expect(report.pairs.isEmpty)
        #expect(!report.isClean)
    }

    @Test("A Note Off before its Note On does not pair with it")
    func offBeforeOn() {
        let report = NotePairing.pair([
            MIDIMessage.noteOff(channel: 0, note: 60), .noteOn(channel: 0, note: 60, velocity: 9),
        ])
        #expect(report.unpairedNoteOffIndices == [0])
        #expect(report.unpairedNoteOnIndices == [1])
    }

    @Test("A second Note On on a sounding key is reported as overlapping, and pairs first in, first out")
    func overlapping() {
        let timed = [
            TimedMIDIMessage(frame: 0, message: .noteOn(channel: 0, note: 60, velocity: 100)),
            TimedMIDIMessage(frame: 1, message: .noteOn(channel: 0, note: 60, velocity: 100)),
            TimedMIDIMessage(frame: 2, message: .noteOff(channel: 0, note: 60)),
            TimedMIDIMessage(frame: 3, message: .noteOff(channel: 0, note: 60)),
        ]
        let report = NotePairing.pair(timed)
        #expect(report.overlappingNoteOnIndices == [1])
        #expect(report.pairs == [.init(noteOnIndex: 0, noteOffIndex: 2), .init(noteOnIndex: 1, noteOffIndex: 3)])
        #expect(!report.isClean)
    }
}
