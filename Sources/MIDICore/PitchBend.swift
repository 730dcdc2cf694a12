/// Conversion of pitch offsets to 14-bit MIDI pitch-bend values.
public enum PitchBend {
    /// The value of an unbent note (`En 00 40`).
    public static let centre: UInt16 = 8192
    /// The largest 14-bit value.
    public static let maximum: UInt16 = 16383

    /// `clamp(8192 + semitones / range × 8192, 0, 16383)`, rounded to the nearest step.
    ///
    /// A range of 0 or a non-finite offset gives the centre, since no bend can express it.
    public static func value(semitones: Double, bendRangeSemitones: Int) -> UInt16 {
        guard bendRangeSemitones > 0, semitones.isFinite else { return centre }
        let raw = (Double(centre) + semitones / Double(bendRangeSemitones) * Double(centre)).rounded()
        return UInt16(min(max(raw, 0), Double(maximum)))
    }

    /// The bend value for a deviation in cents (100 cents = 1 semitone).
    public static func value(cents: Double, bendRangeSemitones: Int) -> UInt16 {
        value(semitones: cents / 100, bendRangeSemitones: bendRangeSemitones)
    }
}
