import Foundation
import Improviser
import Yams

/// A configuration problem, naming the file and the key.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The configuration file.
    public let file: String
    /// Dotted key path, e.g. `midi.channels.melody`; empty for file-level problems.
    public let key: String
    /// What is wrong.
    public let problem: String

    /// One-line description.
    public var description: String {
        key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)"
    }
}

/// Reads `musichal.yaml` strictly: every key must be known and every value valid.
public enum ConfigurationLoader {
    /// Loads and validates the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> MusicHalConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ConfigurationError(file: path, key: "", problem: "the configuration file \(reason)")
        }
        return try parse(text, file: path)
    }

    /// Parses and validates configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> MusicHalConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(file: file, key: "", problem: "not valid YAML: \(error)")
        }
        var config = MusicHalConfiguration()
        guard let root else { return config }  // an empty file means defaults
        let top = try Section(node: root, path: "", file: file)

        if let audio = try top.section("audio") {
            if let value = try audio.choice("backend", MusicHalConfiguration.Audio.Backend.self) {
                config.audio.backend = value
            }
            if let value = try audio.double("sample_rate", in: 8000...192_000) { config.audio.sampleRate = value }
            if let jack = try audio.section("jack") {
                if let value = try jack.string("client_name", nonEmpty: true) { config.audio.jackClientName = value }
                if let value = try jack.string("server") { config.audio.jackServerName = value.isEmpty ? nil : value }
                if let value = try jack.strings("connect") { config.audio.jackConnectInputs = value }
                try jack.finish()
            }
            if let alsa = try audio.section("alsa") {
                if let value = try alsa.string("device", nonEmpty: true) { config.audio.alsaDevice = value }
                if let value = try alsa.int("period_frames", in: 16...8192) { config.audio.alsaPeriodFrames = value }
                try alsa.finish()
            }
            try audio.finish()
        }

        if let midi = try top.section("midi") {
            if let value = try midi.choice("backend", MusicHalConfiguration.MIDI.Backend.self) {
                config.midi.backend = value
            }
            if let value = try midi.choice("mode", MusicHalConfiguration.MIDI.Mode.self) { config.midi.mode = value }
            if let value = try midi.double("maximum_note_seconds", in: 0.05...60) {
                config.midi.maximumNoteSeconds = value
            }
            if let channels = try midi.section("channels") {
                if let value = try channels.int("melody", in: 1...16) { config.midi.melodyChannel = value }
                if let value = try channels.int("bass", in: 1...16) { config.midi.bassChannel = value }
                try channels.finish()
            }
            if let mpe = try midi.section("mpe") {
                if let value = try mpe.choice("zone", MusicHalConfiguration.MIDI.Zone.self) {
                    config.midi.mpeZone = value
                }
                if let value = try mpe.int("members", in: 1...15) { config.midi.mpeMembers = value }
                if let value = try mpe.int("bend_range", in: 0...96) { config.midi.mpeBendRange = value }
                try mpe.finish()
            }
            if let jack = try midi.section("jack") {
                if let value = try jack.strings("connect") { config.midi.jackConnectOutputs = value }
                if let value = try jack.bool("port_per_voice") { config.midi.portPerVoice = value }
                try jack.finish()
            }
            if let alsa = try midi.section("alsa") {
                if let value = try alsa.string("client_name", nonEmpty: true) { config.midi.alsaClientName = value }
                try alsa.finish()
            }
            if let input = try midi.section("input") { config.midi.input = try Self.midiInput(input, config: config) }
            try midi.finish()
        }

        if let osc = try top.section("osc") {
            if let value = try osc.int("port", in: 1...65535) { config.osc.port = value }
            if let value = try osc.choice("transport", MusicHalConfiguration.OSC.Transport.self) {
                config.osc.transport = value
            }
            if let value = try osc.strings("allow") {
                for (index, entry) in value.enumerated() where AddressRange(parsing: entry) == nil {
                    throw ConfigurationError(
                        file: file, key: "osc.allow[\(index)]",
                        problem: "'\(entry)' is not an IP address or CIDR range (e.g. 192.168.1.0/24)")
                }
                config.osc.allow = value
            }
            try osc.finish()
        }

        if let paths = try top.section("paths") {
            if let value = try paths.string("models") { config.paths.models = value.isEmpty ? nil : value }
            if let value = try paths.string("state") { config.paths.state = value.isEmpty ? nil : value }
            try paths.finish()
        }

        if let neural = try top.section("neural") {
            if let value = try neural.string("checkpoint") { config.neural.checkpoint = value.isEmpty ? nil : value }
            if let value = try neural.int("deadline_ms", in: 1...10_000) { config.neural.deadlineMilliseconds = value }
            if let value = try neural.int("failure_limit", in: 1...1000) { config.neural.failureLimit = value }
            if let value = try neural.double("retry_seconds", in: 0...3600) { config.neural.retrySeconds = value }
            if let value = try neural.int("threads", in: 1...64) { config.neural.threads = value }
            try neural.finish()
        }

        if let recording = try top.section("recording") {
            if let value = try recording.bool("enabled") { config.recording.enabled = value }
            if let value = try recording.bool("input") { config.recording.input = value }
            try recording.finish()
        }

        if let agent = try top.section("agent") {
            if let value = try agent.choice("mode", ImproviserMode.self) { config.agent.mode = value }
            if let value = try agent.int("seed", in: 0...Int.max) { config.agent.seed = UInt64(value) }
            if let value = try agent.bool("learning") { config.agent.learning = value }
            if let value = try agent.string("model") { config.agent.model = value.isEmpty ? nil : value }
            if let value = try agent.string("setlist") { config.agent.setlist = value.isEmpty ? nil : value }
            if let value = try agent.int("model_cache_mb", in: 0...65536) { config.agent.modelCacheMegabytes = value }
            if let value = try agent.double("performance_minutes", in: 0...600) {
                config.agent.performanceMinutes = value
            }
            if let value = try agent.bool("learned_arc") { config.agent.learnedArc = value }
            if let snap = try agent.section("snap") {
                for key in snap.keys {
                    guard let mode = ImproviserMode(rawValue: key), ImproviserMode.snappable.contains(mode) else {
                        throw ConfigurationError(
                            file: file, key: "agent.snap.\(key)",
                            problem:
                                "no such playing mode (use \(ImproviserMode.snappable.map(\.rawValue).joined(separator: ", ")))"
                        )
                    }
                    if let target = try snap.choice(key, SnapTarget.self) { config.agent.snap[mode] = target }
                }
                try snap.finish()
            }
            if let parameters = try agent.section("parameters") {
                var values: [(name: String, value: Double)] = []
                for key in parameters.keys {
                    guard AgentParameters.descriptor(named: key) != nil else {
                        throw ConfigurationError(
                            file: file, key: "agent.parameters.\(key)",
                            problem: ParameterError.unknownParameter(key).description)
                    }
                    if let value = try parameters.double(key, in: -1e9...1e9) { values.append((key, value)) }
                }
                do {
                    try config.agent.parameters.set(values)
                } catch {
                    throw ConfigurationError(file: file, key: "agent.parameters", problem: error.description)
                }
                try parameters.finish()
            }
            try agent.finish()
        }
        try top.finish()
        return config
    }
}

extension ConfigurationLoader {
    /// Reads `midi.input` and checks it against the backends already read.
    fileprivate static func midiInput(_ section: Section, config: MusicHalConfiguration) throws(ConfigurationError)
        -> MusicHalConfiguration.MIDIInput
    {
        var input = MusicHalConfiguration.MIDIInput()
        if let value = try section.bool("enabled") { input.enabled = value }
        if let value = try section.string("port", nonEmpty: true) {
            guard !value.contains(":"), value.utf8.count < 64 else {
                throw section.error("port", "'\(value)' must be a short port name without ':' (e.g. midi_in)")
            }
            input.port = value
        }
        if let value = try section.strings("connect") {
            if let index = value.firstIndex(where: \.isEmpty) {
                throw section.error("connect", "entry \(index + 1) is empty")
            }
            input.connect = value
        }
        if let value = try section.strings("channels") {
            var channels: [Int] = []
            for item in value {
                guard let channel = Int(item), (1...16).contains(channel) else {
                    throw section.error("channels", "'\(item)' is not a channel 1-16")
                }
                channels.append(channel)
            }
            input.channels = channels
        }
        if let value = try section.double("chord_window_ms", in: 0...200) { input.chordWindowMilliseconds = value }
        try section.finish()
        guard input.enabled else { return input }
        if config.midi.backend == .none {
            throw section.error("enabled", "MIDI input needs midi.backend jack or alsa (it is none)")
        }
        if config.audio.backend == .none && config.midi.backend == .alsa {
            throw section.error(
                "enabled",
                "MIDI input without audio needs midi.backend jack: the ALSA sequencer has no sample clock without "
                    + "ALSA capture (use audio.backend alsa, or JACK)")
        }
        return input
    }
}

/// One mapping of the YAML tree, read key by key; `finish()` fails on any key that was not read.
private final class Section {
    let mapping: [String: Node]
    let order: [String]
    let path: String
    let file: String
    private var used: Set<String> = []

    init(node: Node, path: String, file: String) throws(ConfigurationError) {
        self.path = path
        self.file = file
        guard case .mapping(let map) = node else {
            throw ConfigurationError(file: file, key: path, problem: "expected a mapping of keys to values")
        }
        var mapping: [String: Node] = [:]
        var order: [String] = []
        for (keyNode, value) in map {
            guard let key = keyNode.string else {
                throw ConfigurationError(file: file, key: path, problem: "keys must be strings")
            }
            if mapping[key] != nil {
                throw ConfigurationError(
                    file: file, key: path.isEmpty ? key : "\(path).\(key)", problem: "appears twice")
            }
            mapping[key] = value
            order.append(key)
        }
        self.mapping = mapping
        self.order = order
    }

    var keys: [String] { order }

    func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ problem: String) -> ConfigurationError {
        ConfigurationError(file: file, key: qualified(key), problem: problem)
    }

    private func scalar(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = mapping[key] else { return nil }
        used.insert(key)
        guard case .scalar(let scalar) = node else { throw error(key, "expected a single value") }
        return scalar.string
    }

    func section(_ key: String) throws(ConfigurationError) -> Section? {
        guard let node = mapping[key] else { return nil }
        used.insert(key)
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return nil
        }
        return try Section(node: node, path: qualified(key), file: file)
    }

    func string(_ key: String, nonEmpty: Bool = false) throws(ConfigurationError) -> String? {
        guard let value = try scalar(key) else { return nil }
        if nonEmpty && value.isEmpty { throw error(key, "must not be empty") }
        return value
    }

    func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let node = mapping[key] else { return nil }
        used.insert(key)
        guard case .sequence(let sequence) = node else { throw error(key, "expected a list, e.g. [a, b]") }
        var values: [String] = []
        for item in sequence {
            guard case .scalar(let scalar) = item else { throw error(key, "list items must be single values") }
            values.append(scalar.string)
        }
        return values
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = try scalar(key) else { return nil }
        guard let value = Int(text) else { throw error(key, "expected a whole number, got '\(text)'") }
        guard range.contains(value) else {
            throw error(key, "\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let text = try scalar(key) else { return nil }
        guard let value = Double(text), value.isFinite else { throw error(key, "expected a number, got '\(text)'") }
        guard range.contains(value) else {
            throw error(key, "\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let text = try scalar(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "expected true or false, got '\(text)'")
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type) throws(ConfigurationError) -> T?
    where T.RawValue == String {
        guard let text = try scalar(key) else { return nil }
        guard let value = T(rawValue: text) else {
            let options = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(key, "'\(text)' is not one of: \(options)")
        }
        return value
    }

    func finish() throws(ConfigurationError) {
        if let unknown = order.first(where: { !used.contains($0) }) {
            throw error(unknown, "unknown key")
        }
    }
}
