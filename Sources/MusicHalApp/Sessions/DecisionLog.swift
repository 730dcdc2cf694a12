import Foundation
public import Improviser
import MusicHalCore

/// Decision records: why the agent played each phrase, as one JSON object per phrase.
///
/// Fields: `onset_s` (the phrase's first note, seconds on the stream clock), `mode`, `voice`, `reason` (words),
/// `notes` [{`pitch`, `onset_s`, `duration_s`, `velocity`}], `states` (oracle states walked, one per note),
/// `jumps` [{`from`, `to`, `lrs`}] (each jump with the context it shared), `matched_state` (where the input was
/// found in the memory, or null), `matched_by` (`features` or `tokens`), `input_span_s` ([start, end] of the
/// input the phrase answers, or null), `transposition`, and `constraints` (the rules that filtered and weighted
/// the candidates, in words). Written beside each performance's MIDI recording, sent as `/hal/event/decision`,
/// and by `musichal perform --explain`.
public enum DecisionLog {
    /// The decision record of `phrase` as a dictionary ready for JSON.
    public static func record(_ phrase: Phrase, sampleRate: Double) -> [String: Any] {
        func seconds(_ frame: FrameTime) -> Double { (Double(frame) / sampleRate * 1000).rounded() / 1000 }
        var record: [String: Any] = [
            "onset_s": phrase.startFrame.map(seconds) ?? 0,
            "mode": phrase.mode.rawValue,
            "voice": phrase.voice == .melody ? "melody" : "bass",
            "reason": phrase.reason,
            "notes": phrase.notes.map { note -> [String: Any] in
                [
                    "pitch": Int(note.pitch), "onset_s": seconds(note.startFrame),
                    "duration_s": seconds(note.durationFrames), "velocity": Int(note.velocity),
                ]
            },
            "states": phrase.steps.map(\.state),
            "jumps": phrase.steps.compactMap { step -> [String: Any]? in
                step.jumpedFrom.map { ["from": $0, "to": step.state, "lrs": step.contextLength] }
            },
            "matched_state": phrase.matchedState.map { $0 as Any } ?? NSNull(),
            "matched_by": phrase.matchedBy,
            "input_span_s": phrase.inputSpan.map { [seconds($0.lowerBound), seconds($0.upperBound)] as Any }
                ?? NSNull(),
            "transposition": phrase.transposition,
            "constraints": phrase.constraints,
        ]
        if phrase.notes.isEmpty { record["onset_s"] = NSNull() }
        return record
    }

    /// One line of JSON (no newline) for `phrase`, keys sorted.
    public static func line(_ phrase: Phrase, sampleRate: Double) -> String {
        let data =
            (try? JSONSerialization.data(
                withJSONObject: record(phrase, sampleRate: sampleRate), options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
