import MusicHalCore

extension StandardMIDIFile {
    /// Reads a format 0 or 1 Standard MIDI File.
    ///
    /// Running status is honoured (also across meta and sysex events, which is lenient but harmless), meta and
    /// sysex events are skipped by their lengths, unknown chunks are skipped, and every tempo change in any track
    /// enters the tempo map that gives each event its seconds. Truncated or foreign bytes throw a
    /// `MIDICoreError` naming the byte offset; no input makes the reader trap.
    public static func parse(_ bytes: [UInt8]) throws(MIDICoreError) -> ParsedMIDIFile {
        var reader = MIDIByteReader(bytes: bytes)
        let header = try readHeader(&reader)

        var rawTracks: [RawTrack] = []
        var tempoEntries: [(tick: UInt64, tempo: UInt32)] = []
        while rawTracks.count < header.trackCount {
            let chunkType = try reader.readUInt32()
            let chunkLength = Int(try reader.readUInt32())
            let chunkEnd = reader.offset + chunkLength
            guard chunkEnd <= bytes.count else { throw .truncatedFile(offset: bytes.count) }
            if chunkType == mtrk {
                var trackReader = MIDIByteReader(bytes: bytes, offset: reader.offset, limit: chunkEnd)
                let track = try readTrack(&trackReader, index: rawTracks.count)
                rawTracks.append(track)
                tempoEntries += track.tempos
            }
            // Unknown ("alien") chunks are skipped, as the specification asks.
            reader.offset = chunkEnd
        }

        // Tempo changes by tick; a stable sort keeps track order for changes at the same tick.
        let orderedTempos = tempoEntries.enumerated().sorted {
            ($0.element.tick, $0.offset) < ($1.element.tick, $1.offset)
        }.map(\.element)
        var tempoChanges: [MIDITempoChange] = []
        for entry in orderedTempos {
            let seconds = ParsedMIDIFile.seconds(
                atTick: entry.tick, division: header.division, tempoChanges: tempoChanges)
            tempoChanges.append(
                MIDITempoChange(tick: entry.tick, microsecondsPerQuarterNote: entry.tempo, seconds: seconds))
        }

        let tracks = rawTracks.map { raw in
            ParsedMIDITrack(
                name: raw.name,
                events: raw.events.map { event in
                    var timed = event
                    timed.seconds = ParsedMIDIFile.seconds(
                        atTick: event.tick, division: header.division, tempoChanges: tempoChanges)
                    return timed
                },
                skippedMessageCount: raw.skippedMessageCount,
                endTick: raw.endTick)
        }
        return ParsedMIDIFile(
            format: header.format, timeDivision: header.division, tracks: tracks, tempoChanges: tempoChanges)
    }

    // MARK: - Chunks

    private static let mthd: UInt32 = 0x4D54_6864  // "MThd"
    private static let mtrk: UInt32 = 0x4D54_726B  // "MTrk"

    private struct Header {
        var format: Int
        var trackCount: Int
        var division: MIDITimeDivision
    }

    private struct RawTrack {
        var name: String?
        var events: [ParsedMIDIEvent] = []
        var tempos: [(tick: UInt64, tempo: UInt32)] = []
        var skippedMessageCount = 0
        var endTick: UInt64 = 0
    }

    private static func readHeader(_ reader: inout MIDIByteReader) throws(MIDICoreError) -> Header {
        let magic = Array("MThd".utf8)
        let available = reader.bytes.prefix(4)
        guard available.elementsEqual(magic.prefix(available.count)) else { throw .notAStandardMIDIFile }
        guard try reader.readUInt32() == mthd else { throw .notAStandardMIDIFile }
        let length = Int(try reader.readUInt32())
        guard length >= 6 else { throw .invalidHeaderLength(length) }
        let headerEnd = reader.offset + length
        let format = Int(try reader.readUInt16())
        let trackCount = Int(try reader.readUInt16())
        let rawDivision = try reader.readUInt16()
        guard headerEnd <= reader.bytes.count else { throw .truncatedFile(offset: reader.bytes.count) }
        reader.offset = headerEnd
        guard format == 0 || format == 1 else { throw .unsupportedFormat(format) }
        return Header(format: format, trackCount: trackCount, division: try timeDivision(rawDivision))
    }

    private static func timeDivision(_ raw: UInt16) throws(MIDICoreError) -> MIDITimeDivision {
        if raw & 0x8000 == 0 {
            guard raw > 0 else { throw .invalidTimeDivision(raw) }
            return .ticksPerQuarterNote(Int(raw))
        }
        // The high byte is the negated frame rate in two's complement.
        let framesPerSecond = -Int(Int8(bitPattern: UInt8(raw >> 8)))
        let ticksPerFrame = Int(raw & 0xFF)
        guard [24, 25, 29, 30].contains(framesPerSecond), ticksPerFrame > 0 else { throw .invalidTimeDivision(raw) }
        return .smpte(framesPerSecond: framesPerSecond, ticksPerFrame: ticksPerFrame)
    }

    // MARK: - Events

    private static func readTrack(_ reader: inout MIDIByteReader, index: Int) throws(MIDICoreError) -> RawTrack {
        var track = RawTrack()
        var tick: UInt64 = 0
        var runningStatus: UInt8?
        while reader.offset < reader.limit {
            tick += UInt64(try reader.readVariableLengthQuantity())
            let eventOffset = reader.offset
            var status = try reader.readByte()
            if status < 0x80 {
                guard let running = runningStatus else { throw .missingRunningStatus(offset: eventOffset) }
                status = running
                reader.offset = eventOffset  // the byte was the first data byte
            }
            switch status {
            case 0xFF:
                let type = try reader.readByte()
                let length = Int(try reader.readVariableLengthQuantity())
                let data = Array(try reader.readBytes(length))
                switch type {
                case 0x2F:
                    track.endTick = tick
                    return track
                case 0x51:
                    guard data.count == 3 else { throw .invalidMetaEvent(type: type, offset: eventOffset) }
                    let tempo = UInt32(data[0]) << 16 | UInt32(data[1]) << 8 | UInt32(data[2])
                    guard tempo > 0 else { throw .invalidMetaEvent(type: type, offset: eventOffset) }
                    track.tempos.append((tick, tempo))
                case 0x03 where track.name == nil:
                    track.name = String(decoding: data, as: UTF8.self)
                default:
                    break
                }
            case 0xF0, 0xF7:
                // Sysex and escaped bytes: a length, then data to skip.
                let length = Int(try reader.readVariableLengthQuantity())
                _ = try reader.readBytes(length)
            case 0xF1...0xFE:
                throw .unexpectedStatusByte(status, offset: eventOffset)
            default:
                runningStatus = status
                if let message = try readChannelMessage(status: status, reader: &reader) {
                    track.events.append(ParsedMIDIEvent(track: index, tick: tick, seconds: 0, message: message))
                } else {
                    track.skippedMessageCount += 1
                }
            }
            track.endTick = tick
        }
        return track
    }

    /// Reads the data bytes of a channel message; nil for Polyphonic Key Pressure, which `MIDIMessage` lacks.
    private static func readChannelMessage(status: UInt8, reader: inout MIDIByteReader) throws(MIDICoreError)
        -> MIDIMessage?
    {
        let kind = status & 0xF0
        let channel = status & 0x0F
        let first = try reader.readDataByte()
        let second: UInt8 = (kind == 0xC0 || kind == 0xD0) ? 0 : try reader.readDataByte()
        switch kind {
        case 0x80:
            return .noteOff(channel: channel, note: first, velocity: second)
        case 0x90:
            // Velocity 0 means Note Off to every receiver.
            return second == 0
                ? .noteOff(channel: channel, note: first, velocity: MIDIController.defaultReleaseVelocity)
                : .noteOn(channel: channel, note: first, velocity: second)
        case 0xB0:
            return .controlChange(channel: channel, controller: first, value: second)
        case 0xC0:
            return .programChange(channel: channel, program: first)
        case 0xD0:
            return .channelPressure(channel: channel, pressure: first)
        case 0xE0:
            return .pitchBend(channel: channel, value: UInt16(second) << 7 | UInt16(first))
        default:
            return nil
        }
    }
}

/// A bounds-checked cursor over file bytes: every read either succeeds or throws `truncatedFile`.
struct MIDIByteReader {
    let bytes: [UInt8]
    var offset: Int
    /// End of the region being read (a chunk's end, or the end of the file).
    let limit: Int

    init(bytes: [UInt8], offset: Int = 0, limit: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.limit = min(limit ?? bytes.count, bytes.count)
    }

    mutating func readByte() throws(MIDICoreError) -> UInt8 {
        guard offset < limit else { throw .truncatedFile(offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a byte that must be below 0x80.
    mutating func readDataByte() throws(MIDICoreError) -> UInt8 {
        let position = offset
        let byte = try readByte()
        guard byte < 0x80 else { throw .invalidDataByte(byte, offset: position) }
        return byte
    }

    mutating func readBytes(_ count: Int) throws(MIDICoreError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= limit - offset else { throw .truncatedFile(offset: limit) }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func readUInt16() throws(MIDICoreError) -> UInt16 {
        let pair = try readBytes(2)
        return UInt16(pair[pair.startIndex]) << 8 | UInt16(pair[pair.startIndex + 1])
    }

    mutating func readUInt32() throws(MIDICoreError) -> UInt32 {
        let quad = try readBytes(4)
        return quad.reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func readVariableLengthQuantity() throws(MIDICoreError) -> UInt32 {
        var value: UInt32 = 0
        let start = offset
        for _ in 0..<4 {
            let byte = try readByte()
            value = value << 7 | UInt32(byte & 0x7F)
            if byte & 0x80 == 0 { return value }
        }
        throw .invalidVariableLengthQuantity(offset: start)
    }
}
