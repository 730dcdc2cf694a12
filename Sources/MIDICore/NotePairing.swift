public import MusicHalCore

/// What `NotePairing` found: which Note Ons and Note Offs belong together and which are left over.
public struct NotePairingReport: Sendable, Hashable {
    /// A Note On and the Note Off that ends it, as indices into the examined messages.
    public struct Pair: Sendable, Hashable {
        /// Index of the Note On.
        public var noteOnIndex: Int
        /// Index of the matching Note Off.
        public var noteOffIndex: Int

        /// Creates a pair.
        public init(noteOnIndex: Int, noteOffIndex: Int) {
            self.noteOnIndex = noteOnIndex
            self.noteOffIndex = noteOffIndex
        }
    }

    /// Matched notes, in Note Off order.
    public var pairs: [Pair] = []
    /// Note Ons with no later Note Off on the same channel and key: stuck notes.
    public var unpairedNoteOnIndices: [Int] = []
    /// Note Offs with no earlier unmatched Note On on the same channel and key.
    public var unpairedNoteOffIndices: [Int] = []
    /// Note Ons sent while the same channel and key was already sounding (a second Note On for an active key).
    public var overlappingNoteOnIndices: [Int] = []

    /// Creates an empty report.
    public init() {}

    /// True when every Note On is paired, no Note Off is stray and no key was struck twice while sounding.
    public var isClean: Bool {
        unpairedNoteOnIndices.isEmpty && unpairedNoteOffIndices.isEmpty && overlappingNoteOnIndices.isEmpty
    }
}

/// Checks that every Note On has a matching later Note Off on the same channel and key.
///
/// Messages are examined in the order given (pass one track, or one port, in time order). Repeated Note Ons on one
/// key are matched first in, first out. A Note On with velocity 0 cannot occur: `MIDIMessage` never builds one.
public enum NotePairing {
    /// Pairs Note Ons with Note Offs in `messages`.
    public static func pair(_ messages: [MIDIMessage]) -> NotePairingReport {
        var report = NotePairingReport()
        var open: [Int: [Int]] = [:]  // (channel << 7 | key) → indices of unmatched Note Ons, oldest first
        for (index, message) in messages.enumerated() where message.isNoteOn || message.isNoteOff {
            let key = Int(message.channel) << 7 | Int(message.data1)
            if message.isNoteOn {
                if open[key]?.isEmpty == false { report.overlappingNoteOnIndices.append(index) }
                open[key, default: []].append(index)
            } else if var waiting = open[key], !waiting.isEmpty {
                report.pairs.append(.init(noteOnIndex: waiting.removeFirst(), noteOffIndex: index))
                open[key] = waiting
            } else {
                report.unpairedNoteOffIndices.append(index)
            }
        }
        report.unpairedNoteOnIndices = open.values.flatMap { $0 }.sorted()
        return report
    }

    /// Pairs the events of one parsed track (or of `ParsedMIDIFile.allEvents`).
    public static func pair(_ events: [ParsedMIDIEvent]) -> NotePairingReport {
        pair(events.map(\.message))
    }

    /// Pairs scheduler or recorder output.
    public static func pair(_ messages: [TimedMIDIMessage]) -> NotePairingReport {
        pair(messages.map(\.message))
    }
}
