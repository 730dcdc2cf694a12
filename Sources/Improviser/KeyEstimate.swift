/// A key: tonic pitch class and mode.
public struct MusicalKey: Sendable, Hashable, CustomStringConvertible {
    /// Tonic pitch class, 0 = C.
    public var tonic: Int
    /// Major or minor.
    public var isMinor: Bool

    /// Creates a key.
    public init(tonic: Int, isMinor: Bool) {
        self.tonic = ((tonic % 12) + 12) % 12
        self.isMinor = isMinor
    }

    /// Pitch classes of the key's diatonic scale (natural minor for minor keys).
    public var scale: Set<Int> {
        let steps = isMinor ? [0, 2, 3, 5, 7, 8, 10] : [0, 2, 4, 5, 7, 9, 11]
        return Set(steps.map { (tonic + $0) % 12 })
    }

    /// Name such as `G major` or `D minor`.
    public var description: String {
        let names = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
        return "\(names[tonic]) \(isMinor ? "minor" : "major")"
    }

    /// The transposition in semitones (-5...6) that moves this key's tonic to `other`'s.
    public func transposition(to other: MusicalKey) -> Int {
        var shift = ((other.tonic - tonic) % 12 + 12) % 12
        if shift > 6 { shift -= 12 }
        return shift
    }

    // Krumhansl-Kessler key profiles (probe-tone ratings).
    static let majorProfile: [Double] = [
        6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
    ]
    static let minorProfile: [Double] = [
        6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
    ]

    /// The best-correlating key of a pitch-class histogram, with the correlation (Krumhansl-Schmuckler), or nil
    /// for an empty histogram.
    public static func estimate(from histogram: [Double]) -> (key: MusicalKey, correlation: Double)? {
        guard histogram.count == 12, histogram.contains(where: { $0 > 0 }) else { return nil }
        var best: (MusicalKey, Double)?
        for minor in [false, true] {
            let profile = minor ? minorProfile : majorProfile
            for tonic in 0..<12 {
                let rotated = (0..<12).map { profile[(($0 - tonic) % 12 + 12) % 12] }
                let r = correlation(histogram, rotated)
                if best == nil || r > best!.1 { best = (MusicalKey(tonic: tonic, isMinor: minor), r) }
            }
        }
        return best
    }

    private static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let meanA = a.reduce(0, +) / 12
        let meanB = b.reduce(0, +) / 12
        var covariance = 0.0
        var varianceA = 0.0
        var varianceB = 0.0
        for i in 0..<12 {
            covariance += (a[i] - meanA) * (b[i] - meanB)
            varianceA += (a[i] - meanA) * (a[i] - meanA)
            varianceB += (b[i] - meanB) * (b[i] - meanB)
        }
        return varianceA > 0 && varianceB > 0 ? covariance / (varianceA * varianceB).squareRoot() : 0
    }
}

/// The transposition (-5...6 semitones) that makes `source`'s pitch-class content most like `target`'s, or nil
/// when either is empty. Matching content rather than tonics handles relative keys (C major and A minor share
/// their notes).
public func bestTransposition(from source: [Double], to target: [Double]) -> Int? {
    guard source.contains(where: { $0 > 0 }), target.contains(where: { $0 > 0 }) else { return nil }
    var best: (Int, Double)?
    for shift in -5...6 {
        let rotated = (0..<12).map { source[(($0 - shift) % 12 + 12) % 12] }
        let similarity = pitchClassSimilarity(rotated, target)
        if best == nil || similarity > best!.1 + 1e-12 { best = (shift, similarity) }
    }
    return best?.0
}

/// Cosine similarity of two pitch-class histograms (0 when either is empty).
public func pitchClassSimilarity(_ a: [Double], _ b: [Double]) -> Double {
    var dot = 0.0
    var normA = 0.0
    var normB = 0.0
    for i in 0..<min(a.count, b.count) {
        dot += a[i] * b[i]
        normA += a[i] * a[i]
        normB += b[i] * b[i]
    }
    return normA > 0 && normB > 0 ? dot / (normA * normB).squareRoot() : 0
}
