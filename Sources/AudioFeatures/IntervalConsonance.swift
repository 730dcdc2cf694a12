/// Consonance of intervals and chords from a table of just frequency ratios.
///
/// An interval is matched to the nearest just ratio within a tolerance (equal temperament is at most 16 cents
/// away from these); anything farther from every ratio counts as strongly dissonant. The scores are ordered as
/// the tradition orders the intervals: unison > octave > fifth > fourth > thirds and sixths > seconds and
/// sevenths > minor second and tritone.
public enum IntervalConsonance {
    /// One row of the just-ratio table.
    public struct JustInterval: Sendable, Hashable {
        /// Conventional name, e.g. "perfect fifth".
        public let name: String
        /// Frequency ratio numerator.
        public let numerator: Int
        /// Frequency ratio denominator.
        public let denominator: Int
        /// Consonance score in [0, 1].
        public let score: Double

        /// Size of the just interval in cents.
        public var cents: Double { PitchMath.cents(ratio: Double(numerator) / Double(denominator)) }
    }

    /// The just intervals within one octave, with their consonance scores.
    public static let table: [JustInterval] = [
        JustInterval(name: "unison", numerator: 1, denominator: 1, score: 1.00),
        JustInterval(name: "minor second", numerator: 16, denominator: 15, score: 0.10),
        JustInterval(name: "major second", numerator: 9, denominator: 8, score: 0.35),
        JustInterval(name: "minor third", numerator: 6, denominator: 5, score: 0.60),
        JustInterval(name: "major third", numerator: 5, denominator: 4, score: 0.65),
        JustInterval(name: "perfect fourth", numerator: 4, denominator: 3, score: 0.75),
        JustInterval(name: "tritone", numerator: 45, denominator: 32, score: 0.10),
        JustInterval(name: "tritone", numerator: 64, denominator: 45, score: 0.10),
        JustInterval(name: "perfect fifth", numerator: 3, denominator: 2, score: 0.85),
        JustInterval(name: "minor sixth", numerator: 8, denominator: 5, score: 0.55),
        JustInterval(name: "major sixth", numerator: 5, denominator: 3, score: 0.60),
        JustInterval(name: "minor seventh", numerator: 16, denominator: 9, score: 0.30),
        JustInterval(name: "minor seventh", numerator: 9, denominator: 5, score: 0.30),
        JustInterval(name: "major seventh", numerator: 15, denominator: 8, score: 0.25),
        JustInterval(name: "octave", numerator: 2, denominator: 1, score: 0.95),
    ]

    /// Score of an interval that matches no just ratio within the tolerance.
    public static let unmatchedScore = 0.05

    /// Consonance in [0, 1] of an interval given in cents (sign ignored). Compound intervals are reduced to
    /// within the octave and lose 2 % per octave, so a tenth scores a little below a third.
    public static func consonance(cents: Double, toleranceCents: Double = 35) -> Double {
        var size = abs(cents)
        guard size.isFinite else { return unmatchedScore }
        var octaves = 0
        while size > 1200 + toleranceCents {
            size -= 1200
            octaves += 1
        }
        var best: JustInterval?
        var bestDistance = Double.infinity
        for interval in table {
            let distance = abs(size - interval.cents)
            if distance < bestDistance {
                bestDistance = distance
                best = interval
            }
        }
        guard let match = best, bestDistance <= toleranceCents else { return unmatchedScore }
        return match.score * (1 - 0.02 * Double(octaves))
    }

    /// Consonance of the interval between two frequencies.
    public static func consonance(ratio: Double, toleranceCents: Double = 35) -> Double {
        guard ratio > 0, ratio.isFinite else { return unmatchedScore }
        return consonance(cents: PitchMath.cents(ratio: ratio), toleranceCents: toleranceCents)
    }

    /// Consonance of a set of simultaneous pitches (fractional MIDI): the mean over every pair of notes;
    /// 1 for a single note or none.
    public static func chordConsonance(midiPitches: [Double]) -> Double {
        guard midiPitches.count > 1 else { return 1 }
        var total = 0.0
        var pairs = 0
        for i in 0..<midiPitches.count {
            for j in (i + 1)..<midiPitches.count {
                total += consonance(cents: (midiPitches[j] - midiPitches[i]) * 100)
                pairs += 1
            }
        }
        return total / Double(pairs)
    }
}
