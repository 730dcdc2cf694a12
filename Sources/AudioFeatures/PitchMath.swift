import RealModule

/// Conversions between frequency, MIDI pitch and pitch class (A4 = 440 Hz = MIDI 69; pitch class 0 = C).
public enum PitchMath {
    /// Fractional MIDI pitch of a frequency in hertz.
    public static func midiPitch(hertz: Double) -> Double { 69 + 12 * Double.log2(hertz / 440) }

    /// Frequency in hertz of a fractional MIDI pitch.
    public static func hertz(midiPitch: Double) -> Double { 440 * Double.exp2((midiPitch - 69) / 12) }

    /// Pitch class 0...11 (0 = C) of a MIDI note number.
    public static func pitchClass(_ midiNote: Int) -> Int { ((midiNote % 12) + 12) % 12 }

    /// Interval size in cents of the frequency ratio `upper / lower`.
    public static func cents(ratio: Double) -> Double { 1200 * Double.log2(ratio) }

    /// Note name such as `C4` or `F#5` for a MIDI note number.
    public static func noteName(_ midiNote: Int) -> String {
        let octave = (midiNote < 0 ? (midiNote - 11) / 12 : midiNote / 12) - 1
        return pitchClassName(midiNote) + String(octave)
    }

    /// Name of a pitch class (sharps): `C`, `C#`, ... `B`.
    public static func pitchClassName(_ pitchClass: Int) -> String {
        ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"][Self.pitchClass(pitchClass)]
    }
}
