/// A key on a MIDI channel (0-based channel, as on the wire).
struct WireNote: Hashable, Comparable, CustomStringConvertible {
    let channel: Int
    let note: Int

    static func < (left: WireNote, right: WireNote) -> Bool {
        (left.channel, left.note) < (right.channel, right.note)
    }

    var description: String { "ch\(channel + 1)/\(note)" }
}

/// Follows which notes a synth would hold while it receives a recorded MIDI stream: events are
/// `[frame, status, data1, data2]` as the Python peers record them (frames on one server's clock).
///
/// A note-on opens a key; its note-off (or a note-on with velocity 0) closes the earliest open one of that key;
/// All Notes Off (CC123) or All Sound Off (CC120) closes every key of its channel. Note-offs for keys not open
/// here are ignored (they may close a key left on from an earlier segment: see `StuckNoteCheck`).
struct NoteLedger {
    /// Start frames of the keys sounding now, oldest first.
    private(set) var open: [WireNote: [Int]] = [:]
    /// Note-ons seen.
    private(set) var noteOns = 0
    /// Notes ended by a channel-wide release (CC123 or CC120) rather than their own note-off.
    private(set) var releasedByChannel = 0
    /// Longest note so far (closed by its note-off or a channel-wide release), with its key and start frame.
    private(set) var longest: (note: WireNote, start: Int, frames: Int)?

    /// What one event did.
    enum Effect: Equatable {
        case opened(WireNote)
        case closed(WireNote)
        /// A note-off for a key not open here.
        case unmatchedOff(WireNote)
        case channelReleased(Int)
        case other
    }

    /// Keys sounding now, sorted.
    var sounding: [WireNote] { open.filter { !$0.value.isEmpty }.keys.sorted() }

    mutating func feed(_ event: [Int]) -> Effect {
        guard event.count >= 4 else { return .other }
        let (frame, status, data1, data2) = (event[0], event[1], event[2], event[3])
        let channel = status & 0x0F
        let key = WireNote(channel: channel, note: data1)
        switch status & 0xF0 {
        case 0x90 where data2 > 0:
            open[key, default: []].append(frame)
            noteOns += 1
            return .opened(key)
        case 0x80, 0x90:
            guard var starts = open[key], !starts.isEmpty else { return .unmatchedOff(key) }
            close(key, startedAt: starts.removeFirst(), at: frame)
            open[key] = starts
            return .closed(key)
        case 0xB0 where data1 == 123 || data1 == 120:
            for (key, starts) in open where key.channel == channel {
                for start in starts { close(key, startedAt: start, at: frame) }
                releasedByChannel += starts.count
                open[key] = []
            }
            return .channelReleased(channel)
        default:
            return .other
        }
    }

    private mutating func close(_ key: WireNote, startedAt start: Int, at frame: Int) {
        if frame - start > longest?.frames ?? -1 { longest = (key, start, frame - start) }
    }

    /// Events in frame order; the recorders append in arrival order, which is frame order per port, but sort
    /// stably anyway.
    static func ordered(_ events: [[Int]]) -> [[Int]] {
        events.enumerated().sorted { ($0.element.first ?? 0, $0.offset) < ($1.element.first ?? 0, $1.offset) }
            .map(\.element)
    }
}

/// No stuck note across server restarts. The performance is recorded in segments, one per JACK server
/// lifetime; every segment but the last ends when the server dies, possibly with keys still down. A synth that
/// survives the server (hardware behind a bridge) would hold those keys, so the next segment must release them
/// (note-off, CC123 or CC120 on their channel) before it plays anything on that channel again; and the last
/// segment, which ends after the transport stopped, must end with every key up.
enum StuckNoteCheck {
    struct Report {
        /// What went wrong, one line each; empty when no note got stuck.
        var problems: [String] = []
        /// Keys down when a server died, all segments together (each one had to be released afterwards).
        var carriedOver = 0
        /// Note-ons in all segments.
        var noteOns = 0
    }

    static func check(segments: [[[Int]]]) -> Report {
        var report = Report()
        var carried: [WireNote] = []
        for (index, segment) in segments.enumerated() {
            var ledger = NoteLedger()
            var leftOn = Set(carried)
            for event in NoteLedger.ordered(segment) {
                switch ledger.feed(event) {
                case .opened(let key):
                    let stuck = leftOn.filter { $0.channel == key.channel }.sorted()
                    if !stuck.isEmpty {
                        report.problems.append(
                            "segment \(index): \(key) played at frame \(event[0]) while \(stuck) were still down "
                                + "from the previous segment")
                        leftOn.subtract(stuck)
                    }
                case .closed(let key), .unmatchedOff(let key):
                    leftOn.remove(key)
                case .channelReleased(let channel):
                    leftOn = leftOn.filter { $0.channel != channel }
                case .other:
                    break
                }
            }
            if !leftOn.isEmpty {
                report.problems.append(
                    "segment \(index): \(leftOn.sorted()) left down by the previous segment, never released")
            }
            report.noteOns += ledger.noteOns
            carried = ledger.sounding
            if index == segments.count - 1 {
                if !carried.isEmpty { report.problems.append("still down at the end: \(carried)") }
            } else {
                report.carriedOver += carried.count
            }
        }
        return report
    }
}
