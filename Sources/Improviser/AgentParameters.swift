public import MusicHalCore

/// One live-changeable agent parameter: its name, range, default and meaning.
///
/// The table in `AgentParameters.descriptors` is the single source for validation, configuration keys, OSC
/// addresses (`/hal/param/<name>`) and documentation.
public struct ParameterDescriptor: Sendable, Hashable {
    /// Name as used in configuration, OSC and `--param NAME=VALUE`.
    public let name: String
    /// Smallest accepted value.
    public let minimum: Double
    /// Largest accepted value.
    public let maximum: Double
    /// Value when nothing else is configured.
    public let defaultValue: Double
    /// Whether only whole numbers are accepted.
    public let isInteger: Bool
    /// What the parameter does, in one line.
    public let summary: String
}

/// Why a parameter value was refused.
public enum ParameterError: Error, CustomStringConvertible, Equatable {
    /// No parameter has this name.
    case unknownParameter(String)
    /// The value lies outside the parameter's range (values are refused, never clamped silently).
    case outOfRange(name: String, value: Double, minimum: Double, maximum: Double)
    /// The value is not a whole number where one is needed, or not a finite number.
    case notANumber(name: String, value: String)
    /// Two parameters contradict each other (e.g. a low bound above its high bound).
    case inconsistent(String)

    /// One-line description.
    public var description: String {
        switch self {
        case .unknownParameter(let name):
            let known = AgentParameters.descriptors.map(\.name).joined(separator: ", ")
            return "unknown parameter '\(name)' (known: \(known))"
        case .outOfRange(let name, let value, let minimum, let maximum):
            return "\(name) = \(value) is out of range \(minimum)...\(maximum)"
        case .notANumber(let name, let value): return "\(name) needs a number, got '\(value)'"
        case .inconsistent(let reason): return reason
        }
    }
}

/// The agent's musical parameters. Every value is validated against `descriptors`.
public struct AgentParameters: Sendable, Hashable {
    /// How readily the agent plays: 0 rarely, 1 at every chance.
    public var density = 0.5
    /// Randomness of choices among candidate continuations (weights raised to 1/temperature).
    public var temperature = 1.0
    /// Probability of continuing the memory literally rather than jumping along a suffix link.
    public var continuity = 0.7
    /// Lowest MIDI note of the melody voice.
    public var melodyLow = 55.0
    /// Highest MIDI note of the melody voice.
    public var melodyHigh = 96.0
    /// Lowest MIDI note of the bass voice.
    public var bassLow = 28.0
    /// Highest MIDI note of the bass voice.
    public var bassHigh = 55.0
    /// Softest velocity the agent plays.
    public var velocityLow = 30.0
    /// Loudest velocity the agent plays.
    public var velocityHigh = 110.0
    /// How much the agent waits for the musician's pauses: 0 plays over them, 1 answers only in gaps.
    public var giveSpace = 0.3
    /// How much the agent plays on its own when the musician is silent.
    public var initiative = 0.5
    /// Transposition of the answer in semitones.
    public var transposition = 0.0
    /// Shortest phrase in notes.
    public var phraseMinimum = 2.0
    /// Longest phrase in notes.
    public var phraseMaximum = 8.0

    /// Default parameters.
    public init() {}

    /// Every parameter with its range and default.
    public static let descriptors: [ParameterDescriptor] = [
        .init(
            name: "density", minimum: 0, maximum: 1, defaultValue: 0.5, isInteger: false,
            summary: "how readily the agent plays (0 rarely, 1 at every chance)"),
        .init(
            name: "temperature", minimum: 0.05, maximum: 5, defaultValue: 1, isInteger: false,
            summary: "randomness of the choice among candidate continuations"),
        .init(
            name: "continuity", minimum: 0, maximum: 1, defaultValue: 0.7, isInteger: false,
            summary: "probability of continuing the memory literally instead of jumping"),
        .init(
            name: "melody_low", minimum: 0, maximum: 127, defaultValue: 55, isInteger: true,
            summary: "lowest MIDI note of the melody voice"),
        .init(
            name: "melody_high", minimum: 0, maximum: 127, defaultValue: 96, isInteger: true,
            summary: "highest MIDI note of the melody voice"),
        .init(
            name: "bass_low", minimum: 0, maximum: 127, defaultValue: 28, isInteger: true,
            summary: "lowest MIDI note of the bass voice"),
        .init(
            name: "bass_high", minimum: 0, maximum: 127, defaultValue: 55, isInteger: true,
            summary: "highest MIDI note of the bass voice"),
        .init(
            name: "velocity_low", minimum: 1, maximum: 127, defaultValue: 30, isInteger: true,
            summary: "softest velocity the agent plays"),
        .init(
            name: "velocity_high", minimum: 1, maximum: 127, defaultValue: 110, isInteger: true,
            summary: "loudest velocity the agent plays"),
        .init(
            name: "give_space", minimum: 0, maximum: 1, defaultValue: 0.3, isInteger: false,
            summary: "how much the agent waits for the musician's pauses"),
        .init(
            name: "initiative", minimum: 0, maximum: 1, defaultValue: 0.5, isInteger: false,
            summary: "how much the agent plays on its own after silence"),
        .init(
            name: "transposition", minimum: -24, maximum: 24, defaultValue: 0, isInteger: true,
            summary: "transposition of the answer in semitones"),
        .init(
            name: "phrase_min", minimum: 1, maximum: 20, defaultValue: 2, isInteger: true,
            summary: "shortest phrase in notes"),
        .init(
            name: "phrase_max", minimum: 1, maximum: 20, defaultValue: 8, isInteger: true,
            summary: "longest phrase in notes"),
    ]

    private static func keyPath(_ name: String) -> WritableKeyPath<AgentParameters, Double>? {
        switch name {
        case "density": \.density
        case "temperature": \.temperature
        case "continuity": \.continuity
        case "melody_low": \.melodyLow
        case "melody_high": \.melodyHigh
        case "bass_low": \.bassLow
        case "bass_high": \.bassHigh
        case "velocity_low": \.velocityLow
        case "velocity_high": \.velocityHigh
        case "give_space": \.giveSpace
        case "initiative": \.initiative
        case "transposition": \.transposition
        case "phrase_min": \.phraseMinimum
        case "phrase_max": \.phraseMaximum
        default: nil
        }
    }

    /// The descriptor of `name`, if it exists.
    public static func descriptor(named name: String) -> ParameterDescriptor? {
        descriptors.first { $0.name == name }
    }

    /// The current value of a parameter.
    public func value(of name: String) throws(ParameterError) -> Double {
        guard let path = Self.keyPath(name) else { throw .unknownParameter(name) }
        return self[keyPath: path]
    }

    /// Sets a parameter after checking its range and its consistency with the others; on error nothing changes.
    public mutating func set(_ name: String, to value: Double) throws(ParameterError) {
        try set([(name: name, value: value)])
    }

    /// Sets several parameters at once: each is range-checked, then their relations are checked together, so
    /// values that are only consistent jointly (a new low and high bound) can be applied; on error nothing
    /// changes.
    public mutating func set(_ values: [(name: String, value: Double)]) throws(ParameterError) {
        var updated = self
        for (name, value) in values { try updated.setChecked(name, to: value) }
        try updated.checkConsistency()
        self = updated
    }

    private mutating func setChecked(_ name: String, to value: Double) throws(ParameterError) {
        guard let descriptor = Self.descriptor(named: name), let path = Self.keyPath(name) else {
            throw .unknownParameter(name)
        }
        guard value.isFinite, !descriptor.isInteger || value.rounded() == value else {
            throw .notANumber(name: name, value: "\(value)")
        }
        guard value >= descriptor.minimum, value <= descriptor.maximum else {
            throw .outOfRange(name: name, value: value, minimum: descriptor.minimum, maximum: descriptor.maximum)
        }
        self[keyPath: path] = value
    }

    /// Sets a parameter from text such as `0.8` (as given on the command line or in a config file).
    public mutating func set(_ name: String, text: String) throws(ParameterError) {
        guard Self.keyPath(name) != nil else { throw .unknownParameter(name) }
        guard let value = Double(text) else { throw .notANumber(name: name, value: text) }
        try set(name, to: value)
    }

    /// Checks the relations between parameters.
    public func checkConsistency() throws(ParameterError) {
        if melodyLow > melodyHigh { throw .inconsistent("melody_low \(melodyLow) is above melody_high \(melodyHigh)") }
        if bassLow > bassHigh { throw .inconsistent("bass_low \(bassLow) is above bass_high \(bassHigh)") }
        if melodyHigh - melodyLow < 12 { throw .inconsistent("the melody range must span at least an octave") }
        if bassHigh - bassLow < 12 { throw .inconsistent("the bass range must span at least an octave") }
        if velocityLow > velocityHigh {
            throw .inconsistent("velocity_low \(velocityLow) is above velocity_high \(velocityHigh)")
        }
        if phraseMinimum > phraseMaximum {
            throw .inconsistent("phrase_min \(phraseMinimum) is above phrase_max \(phraseMaximum)")
        }
    }

    /// The register range of a voice as MIDI notes.
    public func register(of voice: Voice) -> ClosedRange<Int> {
        voice == .melody ? Int(melodyLow)...Int(melodyHigh) : Int(bassLow)...Int(bassHigh)
    }
}
