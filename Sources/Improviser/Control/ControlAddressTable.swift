/// One control address: its path, the arguments it takes, and what it does.
///
/// `ControlAddressTable.entries` is the single source of truth: the daemon's dispatcher, argument checks,
/// `/hal/describe` (OSCQuery-shaped JSON) and the README's OSC table are all generated from it.
public struct ControlAddress: Sendable, Hashable {
    /// Who may use it.
    public enum Access: String, Sendable {
        /// Query only (answers with a value).
        case read = "r"
        /// Command only.
        case write = "w"
        /// Query without arguments, set with arguments; new values echo on the same path.
        case readWrite = "rw"

        /// OSCQuery's ACCESS number: 1 read, 2 write, 3 both.
        public var osqueryValue: Int { self == .read ? 1 : (self == .write ? 2 : 3) }
    }

    /// Full path, e.g. `/hal/param/density`.
    public let path: String
    /// Accepted type-tag patterns, e.g. `["", "f", "i"]` (empty = no arguments). `*` accepts anything.
    public let typeTags: [String]
    /// Numeric range of the first argument, if any.
    public let range: ClosedRange<Double>?
    /// Allowed string values of the first argument, if restricted.
    public let values: [String]?
    /// Access.
    public let access: Access
    /// One-line description.
    public let summary: String

    /// Whether a message's type tags match one of the accepted patterns (`T`/`F` count as `i`, and `i`/`f`
    /// stand in for each other, as controllers send either).
    public func accepts(typeTags tags: String) -> Bool {
        if typeTags.contains("*") { return true }
        let normalised = String(tags.map { $0 == "T" || $0 == "F" || $0 == "h" ? "i" : ($0 == "d" ? "f" : $0) })
        return typeTags.contains { pattern in
            pattern.count == normalised.count
                && zip(pattern, normalised).allSatisfy { expected, got in
                    expected == got || (expected == "f" && got == "i") || (expected == "i" && got == "f")
                }
        }
    }
}

/// The `/hal` namespace.
public enum ControlAddressTable {
    /// Root of every MusicHal address.
    public static let root = "/hal"

    /// Every address, parameters generated from `AgentParameters.descriptors`.
    public static let entries: [ControlAddress] = {
        var entries: [ControlAddress] = [
            .init(
                path: "/hal/ping", typeTags: ["*"], range: nil, values: nil, access: .write,
                summary: "liveness: answers /hal/pong with the same arguments"),
            .init(
                path: "/hal/version", typeTags: [""], range: nil, values: nil, access: .read,
                summary: "answers /hal/version s:name s:version s:build"),
            .init(
                path: "/hal/status", typeTags: [""], range: nil, values: nil, access: .read,
                summary: "answers one bundle with every /hal/status/... field"),
            .init(
                path: "/hal/describe", typeTags: [""], range: nil, values: nil, access: .read,
                summary: "answers /hal/describe s:JSON, this table in OSCQuery form"),
            .init(
                path: "/hal/notify", typeTags: ["i", "ii", "iii"], range: 0...1, values: nil, access: .write,
                summary: "i:1|0 [i:intervalMs 50-5000] [i:replyPort]: subscribe to the status stream, 60 s lease"),
            .init(
                path: "/hal/model/list", typeTags: [""], range: nil, values: nil, access: .read,
                summary: "answers /hal/model/list s:name... (models directory)"),
            .init(
                path: "/hal/model/load", typeTags: ["s"], range: nil, values: nil, access: .write,
                summary: "s:name: load in the background, swap between notes; /hal/done or /hal/fail"),
            .init(
                path: "/hal/model/unload", typeTags: [""], range: nil, values: nil, access: .write,
                summary: "stop using the model (the agent listens)"),
            .init(
                path: "/hal/model/save", typeTags: ["", "s"], range: nil, values: nil, access: .write,
                summary: "[s:name]: save the model (with what was learned) in the background"),
            .init(
                path: "/hal/model/preload", typeTags: ["s"], range: nil, values: nil, access: .write,
                summary: "s:name: keep a model in memory for an instant switch (LRU, memory budget)"),
            .init(
                path: "/hal/mode", typeTags: ["", "s"], range: nil, values: ImproviserMode.allCases.map(\.rawValue),
                access: .readWrite, summary: "agent mode"),
            .init(
                path: "/hal/learn", typeTags: ["", "i"], range: 0...1, values: nil, access: .readWrite,
                summary: "1|0: add what the musician plays to the model"),
            .init(
                path: "/hal/midi/channel", typeTags: ["", "i", "ii"], range: 1...16, values: nil, access: .readWrite,
                summary: "i:melody [i:bass]: MIDI channels (1-16) in standard mode"),
            .init(
                path: "/hal/midi/mpe", typeTags: ["", "i"], range: 0...1, values: nil, access: .readWrite,
                summary: "1|0: MPE output on or off"),
            .init(
                path: "/hal/midi/mpe/zone", typeTags: ["", "s", "si", "sii"], range: nil, values: ["lower", "upper"],
                access: .readWrite, summary: "s:lower|upper [i:members 1-15] [i:bendRange 0-96]"),
            .init(
                path: "/hal/transport/start", typeTags: [""], range: nil, values: nil, access: .write,
                summary: "the agent may play"),
            .init(
                path: "/hal/transport/stop", typeTags: [""], range: nil, values: nil, access: .write,
                summary: "the agent stops playing (notes released, release tails kept)"),
            .init(
                path: "/hal/panic", typeTags: [""], range: nil, values: nil, access: .write,
                summary: "all notes off now (note-offs, sustain off, CC123, CC120)"),
            .init(
                path: "/hal/chord", typeTags: ["", "s", "sf"], range: nil, values: nil, access: .readWrite,
                summary: "s:name [f:seconds 1-3600, default 30]: play over this chord (Dm7, F#maj7, Bb/D)"),
            .init(
                path: "/hal/chord/clear", typeTags: [""], range: nil, values: nil, access: .write,
                summary: "end a chord override: the heard harmony counts again"),
            .init(
                path: "/hal/arc/start", typeTags: ["f", "fi"], range: 0.1...600, values: nil, access: .write,
                summary: "f:minutes [i:learned 1|0]: shape the next minutes as one performance, then silence"),
            .init(
                path: "/hal/arc/stop", typeTags: [""], range: nil, values: nil, access: .write,
                summary: "end the performance arc (the agent plays at its parameters' level)"),
            .init(
                path: "/hal/setlist", typeTags: [""], range: nil, values: nil, access: .read,
                summary: "answers /hal/setlist s:set i:piece i:count s:pieceName (i:-1 without a setlist)"),
            .init(
                path: "/hal/setlist/next", typeTags: [""], range: nil, values: nil, access: .write,
                summary: "put the next piece in place (model, mode, parameters, patch, arc); /hal/done i:piece s:name"),
            .init(
                path: "/hal/setlist/prev", typeTags: [""], range: nil, values: nil, access: .write,
                summary: "put the previous piece in place; /hal/done i:piece s:name or /hal/fail"),
            .init(
                path: "/hal/setlist/goto", typeTags: ["i"], range: nil, values: nil, access: .write,
                summary: "i:piece (from 0): put that piece in place; /hal/done i:piece s:name or /hal/fail"),
            .init(
                path: "/hal/setlist/load", typeTags: ["s"], range: nil, values: nil, access: .write,
                summary: "s:name: load name.yaml from the setlists folder of the state directory; piece 0 goes in place"
            ),
        ]
        for mode in ImproviserMode.snappable {
            entries.append(
                .init(
                    path: "/hal/snap/\(mode.rawValue)", typeTags: ["", "s"], range: nil,
                    values: SnapTarget.allCases.map(\.rawValue), access: .readWrite,
                    summary: "off|chord|scale: keep \(mode.rawValue)'s answers to the chord or the key's scale"))
        }
        for parameter in AgentParameters.descriptors {
            entries.append(
                .init(
                    path: "/hal/param/\(parameter.name)", typeTags: ["", "f", "i"],
                    range: parameter.minimum...parameter.maximum, values: nil, access: .readWrite,
                    summary: parameter.summary))
        }
        return entries
    }()

    /// The entry for `path`, if any.
    public static func entry(_ path: String) -> ControlAddress? { entries.first { $0.path == path } }

    /// Fields of the status stream: address, OSC type, meaning.
    public static let statusFields: [(String, String, String)] = [
        ("/hal/status/seq", "i", "sequence number of the bundle"),
        ("/hal/status/state", "s", "starting, listening, playing, stopped or degraded"),
        ("/hal/status/mode", "s", "active mode (the one auto chose)"),
        ("/hal/status/model", "s", "loaded model, empty for none"),
        ("/hal/status/learning", "i", "1 when learning from the input"),
        ("/hal/status/transport", "s", "started or stopped"),
        ("/hal/status/input/level", "f", "input level, dBFS"),
        ("/hal/status/input/onset_rate", "f", "onsets per second, last 5 s"),
        ("/hal/status/input/pitch", "i", "MIDI note heard, -1 for none"),
        ("/hal/status/input/midi_events", "i", "events heard on the MIDI input since start"),
        ("/hal/status/oracle/states", "i", "oracle states"),
        ("/hal/status/oracle/position", "i", "tracked oracle state, -1 for none"),
        ("/hal/status/output/notes_active", "i", "notes sounding"),
        ("/hal/status/audio/state", "s", "audio connection: none, running, or reconnecting: reason"),
        ("/hal/status/audio/xruns", "i", "xruns since start"),
        ("/hal/status/audio/dsp_load", "f", "DSP load, percent"),
        ("/hal/status/audio/dropped_blocks", "i", "input blocks lost because the engine fell behind"),
        ("/hal/status/audio/late_midi", "i", "MIDI messages that left after their frame"),
        ("/hal/status/latency_ms", "f", "onset-to-answer scheduling latency, ms"),
        ("/hal/status/encoder", "s", "neural encoder: off, ok or degraded"),
        ("/hal/status/encoder/detail", "s", "why the encoder is off or degraded, empty when ok"),
        ("/hal/status/encoder/tokens", "i", "neural tokens made since start"),
        ("/hal/status/errors", "i", "errors since start"),
        ("/hal/status/cpu", "f", "process CPU, percent of one core"),
        ("/hal/status/rss_mb", "f", "resident memory, MB"),
        ("/hal/status/clients", "i", "status subscribers"),
        ("/hal/status/osc/received", "i", "OSC messages handled since start"),
        ("/hal/status/osc/malformed", "i", "malformed OSC packets rejected since start"),
        ("/hal/status/osc/refused", "i", "messages from senders outside the allow-list, dropped"),
        ("/hal/status/harmony/key", "s", "key heard, e.g. D minor; empty before enough has been heard"),
        (
            "/hal/status/harmony/chord", "s",
            "current chord, e.g. Dm7 (an override while one is in force); empty for none"
        ),
        ("/hal/status/harmony/override", "f", "seconds left of a /hal/chord override, 0 for none"),
        ("/hal/status/arc/phase", "s", "performance arc: off, build-up, main, ending, fade or ended"),
        ("/hal/status/arc/progress", "f", "elapsed share of the performance arc, 0-1 (0 when off)"),
        ("/hal/status/setlist/piece", "i", "setlist piece in place (from 0), -1 without a setlist"),
        ("/hal/status/setlist/name", "s", "name of the setlist piece in place, empty without a setlist"),
    ]

    /// The table in OSCQuery's JSON shape (FULL_PATH, TYPE, RANGE, ACCESS, DESCRIPTION), for `/hal/describe`.
    public static func describeJSON() -> String {
        func quoted(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
        var nodes: [String] = []
        for entry in entries {
            var fields = [
                "\"FULL_PATH\":\(quoted(entry.path))",
                "\"TYPE\":\(quoted(entry.typeTags.max { $0.count < $1.count } ?? ""))",
                "\"ACCESS\":\(entry.access.osqueryValue)",
                "\"DESCRIPTION\":\(quoted(entry.summary))",
            ]
            if let range = entry.range {
                fields.append("\"RANGE\":[{\"MIN\":\(number(range.lowerBound)),\"MAX\":\(number(range.upperBound))}]")
            } else if let values = entry.values {
                fields.append("\"RANGE\":[{\"VALS\":[\(values.map(quoted).joined(separator: ","))]}]")
            }
            nodes.append("\(quoted(String(entry.path.dropFirst(root.count + 1)))):{\(fields.joined(separator: ","))}")
        }
        return
            "{\"FULL_PATH\":\"/hal\",\"DESCRIPTION\":\"MusicHal control\",\"CONTENTS\":{\(nodes.joined(separator: ","))}}"
    }

    /// The table as Markdown, for the README.
    public static func markdownTable() -> String {
        var lines = ["| address | arguments | access | what it does |", "|---|---|---|---|"]
        for entry in entries {
            let arguments = entry.typeTags.map { $0.isEmpty ? "–" : $0 }.joined(separator: " / ")
            lines.append("| `\(entry.path)` | \(arguments) | \(entry.access.rawValue) | \(entry.summary) |")
        }
        return lines.joined(separator: "\n")
    }
}
