import CALSA
import MusicHalCore

/// An ALSA sequencer event built from a MIDIMessage, addressed to the subscribers of one of our ports.
struct SequencerEvent {
    var raw: snd_seq_event_t

    /// Fills an event through the shim's wrappers of the `snd_seq_ev_*` macros: the message's type and data,
    /// source port, destination "all subscribers", and either direct delivery (`queue` nil) or a real-time
    /// stamp on `queue`, relative to the queue's current time when `relative` is set. Nil for a kind the
    /// sequencer path does not carry (poly key pressure, which MIDIMessage cannot build anyway).
    init?(message: MIDIMessage, sourcePort: Int32, queue: Int32?, relative: Bool = true, delayNanoseconds: UInt64 = 0) {
        var event = snd_seq_event_t()
        musichal_seq_ev_clear(&event)
        let channel = Int32(message.channel)
        let data1 = Int32(message.data1)
        let data2 = Int32(message.data2)
        switch message.kind {
        case 0x90: musichal_seq_ev_set_noteon(&event, channel, data1, data2)
        case 0x80: musichal_seq_ev_set_noteoff(&event, channel, data1, data2)
        case 0xB0: musichal_seq_ev_set_controller(&event, channel, data1, data2)
        case 0xC0: musichal_seq_ev_set_pgmchange(&event, channel, data1)
        case 0xD0: musichal_seq_ev_set_chanpress(&event, channel, data1)
        // ALSA's pitch bend is centred on 0 (-8192...8191); MIDI's 14-bit value on 8192.
        case 0xE0: musichal_seq_ev_set_pitchbend(&event, channel, (data2 << 7 | data1) - 8192)
        default: return nil
        }
        musichal_seq_ev_set_source(&event, sourcePort)
        musichal_seq_ev_set_subs(&event)
        if let queue {
            var time = snd_seq_real_time_t(
                tv_sec: UInt32(delayNanoseconds / 1_000_000_000), tv_nsec: UInt32(delayNanoseconds % 1_000_000_000))
            musichal_seq_ev_schedule_real(&event, queue, relative ? 1 : 0, &time)
        } else {
            musichal_seq_ev_set_direct(&event)
        }
        raw = event
    }

    init(raw: snd_seq_event_t) { self.raw = raw }

    /// The event's fields as plain values (for checks and logs).
    var fields: SequencerEventFields {
        var fields = SequencerEventFields(
            type: raw.type, flags: raw.flags, queue: raw.queue, sourcePort: raw.source.port,
            destinationClient: raw.dest.client, destinationPort: raw.dest.port,
            seconds: raw.time.time.tv_sec, nanoseconds: raw.time.time.tv_nsec)
        switch Int32(raw.type) {
        case Int32(SND_SEQ_EVENT_NOTEON.rawValue), Int32(SND_SEQ_EVENT_NOTEOFF.rawValue):
            fields.channel = raw.data.note.channel
            fields.note = raw.data.note.note
            fields.velocity = raw.data.note.velocity
        default:
            fields.channel = raw.data.control.channel
            fields.parameter = raw.data.control.param
            fields.value = raw.data.control.value
        }
        return fields
    }
}

/// The fields of a `snd_seq_event_t` that MusicHal sets, copied out so checks need no C types.
struct SequencerEventFields: Equatable, Sendable {
    var type: UInt8
    var flags: UInt8
    var queue: UInt8
    var sourcePort: UInt8
    var destinationClient: UInt8
    var destinationPort: UInt8
    var seconds: UInt32
    var nanoseconds: UInt32
    var channel: UInt8 = 0
    var note: UInt8 = 0
    var velocity: UInt8 = 0
    var parameter: UInt32 = 0
    var value: Int32 = 0
}

/// alsa-lib's MIDI byte-stream ⇄ sequencer-event converter (`snd_midi_event`), without running status.
final class MIDIEventCodec {
    private let parser: OpaquePointer

    init() throws(ALSAError) {
        var parser: OpaquePointer?
        let result = snd_midi_event_new(64, &parser)
        guard result == 0, let parser else {
            throw .sequencerSetupFailed(step: "snd_midi_event_new", reason: String(cString: snd_strerror(result)))
        }
        snd_midi_event_no_status(parser, 1)
        self.parser = parser
    }

    deinit { snd_midi_event_free(parser) }

    /// The events the bytes complete, in order.
    func encode(_ bytes: [UInt8]) -> [SequencerEvent] {
        snd_midi_event_reset_encode(parser)
        var events: [SequencerEvent] = []
        var event = snd_seq_event_t()
        for byte in bytes where snd_midi_event_encode_byte(parser, Int32(byte), &event) == 1 {
            events.append(SequencerEvent(raw: event))
            event = snd_seq_event_t()
        }
        return events
    }

    /// The MIDI bytes of an event (empty when alsa-lib cannot express it as MIDI).
    func decode(_ event: SequencerEvent) -> [UInt8] {
        snd_midi_event_reset_decode(parser)
        var raw = event.raw
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            snd_midi_event_decode(parser, pointer.baseAddress, pointer.count, &raw)
        }
        return count > 0 ? Array(buffer.prefix(Int(count))) : []
    }
}
