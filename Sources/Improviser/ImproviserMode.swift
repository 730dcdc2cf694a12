/// How the agent relates to the musician.
public enum ImproviserMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Follows the input through the memory and continues from the matched context.
    case imitate
    /// Answers with material far from the input in pitch content, register and density.
    case contrast
    /// Plays its own line with high continuity, keeping the input's key.
    case lead
    /// Learns and tracks, plays nothing.
    case listen
    /// Switches between the other playing modes every so often.
    case auto

    /// The mode's name, as used in configuration, OSC and the command line.
    public var description: String { rawValue }

    /// The modes that play their own pitches, each with a snapping option (`auto` uses the one it chose).
    public static let snappable: [ImproviserMode] = [.imitate, .contrast, .lead]
}
