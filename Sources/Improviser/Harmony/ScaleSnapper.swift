/// What a mode's answers are kept to (a per-mode option).
public enum SnapTarget: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Pitches are played as generated.
    case off
    /// Every pitch is moved to the nearest tone of the current chord (override included).
    case chord
    /// Every pitch is moved to the nearest note of the current key's scale (natural minor for minor keys).
    case scale

    /// The option's name as used in configuration and OSC.
    public var description: String { rawValue }
}

/// Moves MIDI pitches to the nearest pitch whose pitch class is allowed (a chord's tones or a key's scale).
///
/// Tie rule: a pitch exactly between two allowed pitches goes **down**. Non-chord tones resolve by step
/// downwards more often than upwards (suspensions, appoggiaturas, passing tones in a descending line), so the
/// lower neighbour is the likelier resolution; it is also deterministic. Snapping a pitch already allowed
/// leaves it unchanged. Nothing allocates.
public struct ScaleSnapper: Sendable, Hashable {
    /// The allowed pitch classes.
    public let pitchClasses: PitchClassSet

    /// A snapper to `pitchClasses`; an empty set leaves every pitch unchanged.
    public init(_ pitchClasses: PitchClassSet) { self.pitchClasses = pitchClasses }

    /// The nearest allowed MIDI pitch (0...127) to `pitch`, lower one on a tie.
    public func snap(_ pitch: Int) -> Int { snap(pitch, into: 0...127) }

    /// The nearest allowed pitch to `pitch` inside `register` (lower one on a tie). A pitch outside the register
    /// goes to the nearest allowed pitch inside it; when the register holds no allowed pitch at all, the pitch
    /// is only clamped into the register.
    public func snap(_ pitch: Int, into register: ClosedRange<Int>) -> Int {
        let clamped = min(max(pitch, register.lowerBound), register.upperBound)
        guard !pitchClasses.isEmpty else { return clamped }
        var distance = 0
        while pitch - distance >= register.lowerBound || pitch + distance <= register.upperBound {
            let below = pitch - distance
            if register.contains(below) && pitchClasses.contains(below) { return below }
            let above = pitch + distance
            if register.contains(above) && pitchClasses.contains(above) { return above }
            distance += 1
        }
        return clamped
    }
}
