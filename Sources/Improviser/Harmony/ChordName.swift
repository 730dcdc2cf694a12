/// The kind of a chord, independent of its root: the intervals above the root.
public enum ChordQuality: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Major triad, `C`.
    case major
    /// Minor triad, `Cm`.
    case minor
    /// Diminished triad, `Cdim`.
    case diminished
    /// Augmented triad, `Caug`.
    case augmented
    /// Suspended second, `Csus2`.
    case suspendedSecond
    /// Suspended fourth, `Csus4`.
    case suspendedFourth
    /// Root and fifth only, `C5`.
    case power
    /// Major sixth, `C6`.
    case sixth
    /// Minor sixth, `Cm6`.
    case minorSixth
    /// Dominant seventh, `C7`.
    case dominantSeventh
    /// Major seventh, `Cmaj7`.
    case majorSeventh
    /// Minor seventh, `Cm7`.
    case minorSeventh
    /// Minor triad with a major seventh, `CmMaj7`.
    case minorMajorSeventh
    /// Half-diminished seventh, `Cm7b5` (also written `Cø`).
    case halfDiminishedSeventh
    /// Diminished seventh, `Cdim7`.
    case diminishedSeventh
    /// Dominant seventh with a suspended fourth, `C7sus4`.
    case suspendedSeventh
    /// Dominant seventh with a raised fifth, `C7#5`.
    case augmentedSeventh
    /// Major triad with an added ninth, `Cadd9`.
    case addedNinth
    /// Dominant ninth, `C9`.
    case dominantNinth
    /// Major ninth, `Cmaj9`.
    case majorNinth
    /// Minor ninth, `Cm9`.
    case minorNinth

    /// Semitones above the root, root first.
    public var intervals: [Int] {
        switch self {
        case .major: [0, 4, 7]
        case .minor: [0, 3, 7]
        case .diminished: [0, 3, 6]
        case .augmented: [0, 4, 8]
        case .suspendedSecond: [0, 2, 7]
        case .suspendedFourth: [0, 5, 7]
        case .power: [0, 7]
        case .sixth: [0, 4, 7, 9]
        case .minorSixth: [0, 3, 7, 9]
        case .dominantSeventh: [0, 4, 7, 10]
        case .majorSeventh: [0, 4, 7, 11]
        case .minorSeventh: [0, 3, 7, 10]
        case .minorMajorSeventh: [0, 3, 7, 11]
        case .halfDiminishedSeventh: [0, 3, 6, 10]
        case .diminishedSeventh: [0, 3, 6, 9]
        case .suspendedSeventh: [0, 5, 7, 10]
        case .augmentedSeventh: [0, 4, 8, 10]
        case .addedNinth: [0, 2, 4, 7]
        case .dominantNinth: [0, 2, 4, 7, 10]
        case .majorNinth: [0, 2, 4, 7, 11]
        case .minorNinth: [0, 2, 3, 7, 10]
        }
    }

    /// The symbol written after the root when printing (lead-sheet style): `""`, `m`, `7`, `maj7`, `m7b5`, ...
    public var symbol: String {
        switch self {
        case .major: ""
        case .minor: "m"
        case .diminished: "dim"
        case .augmented: "aug"
        case .suspendedSecond: "sus2"
        case .suspendedFourth: "sus4"
        case .power: "5"
        case .sixth: "6"
        case .minorSixth: "m6"
        case .dominantSeventh: "7"
        case .majorSeventh: "maj7"
        case .minorSeventh: "m7"
        case .minorMajorSeventh: "mMaj7"
        case .halfDiminishedSeventh: "m7b5"
        case .diminishedSeventh: "dim7"
        case .suspendedSeventh: "7sus4"
        case .augmentedSeventh: "7#5"
        case .addedNinth: "add9"
        case .dominantNinth: "9"
        case .majorNinth: "maj9"
        case .minorNinth: "m9"
        }
    }

    /// Every spelling accepted when parsing (the symbol first), after `♭`/`♯` are read as `b`/`#`.
    public var spellings: [String] {
        switch self {
        case .major: ["", "maj", "M"]
        case .minor: ["m", "min", "mi", "-"]
        case .diminished: ["dim", "°", "o"]
        case .augmented: ["aug", "+"]
        case .suspendedSecond: ["sus2"]
        case .suspendedFourth: ["sus4", "sus"]
        case .power: ["5"]
        case .sixth: ["6", "maj6", "M6"]
        case .minorSixth: ["m6", "min6", "-6"]
        case .dominantSeventh: ["7", "dom7"]
        case .majorSeventh: ["maj7", "M7", "ma7", "Δ", "Δ7", "j7"]
        case .minorSeventh: ["m7", "min7", "mi7", "-7"]
        case .minorMajorSeventh: ["mMaj7", "mmaj7", "mM7", "m(maj7)", "minmaj7", "-Δ7"]
        case .halfDiminishedSeventh: ["m7b5", "ø", "ø7", "min7b5", "-7b5"]
        case .diminishedSeventh: ["dim7", "°7", "o7"]
        case .suspendedSeventh: ["7sus4", "7sus"]
        case .augmentedSeventh: ["7#5", "aug7", "+7"]
        case .addedNinth: ["add9"]
        case .dominantNinth: ["9"]
        case .majorNinth: ["maj9", "M9", "Δ9"]
        case .minorNinth: ["m9", "min9", "-9"]
        }
    }

    /// The qualities the harmony tracker recognizes from chroma, in order of preference when two templates fit
    /// equally (same pitch-class set: `Am7` = `C6`, `Am7b5` = `Cm6`, `Csus2` = `Gsus4`): the commoner reading
    /// first. Ninths, added tones, power chords and altered sevenths are left out: from a few heard notes they
    /// would mostly be confused with the triads and sevenths they contain. They can still be set by override.
    public static let recognizable: [ChordQuality] = [
        .major, .minor, .dominantSeventh, .minorSeventh, .majorSeventh, .halfDiminishedSeventh, .diminished,
        .diminishedSeventh, .augmented, .suspendedFourth, .suspendedSecond, .minorMajorSeventh, .sixth,
        .minorSixth,
    ]

    /// The quality's symbol, e.g. `maj7` (`major` for the plain triad, whose symbol is empty).
    public var description: String { self == .major ? "major" : symbol }
}

/// A chord name such as `Dm7`, `F#maj7`, `Bb`, `Ebm`, `G7`, `Bdim` or `C/E`: a root, a quality and optionally a
/// bass note, with the root spelled as written.
///
/// Parsing accepts a root letter A–G, any number of `#`/`b` (or `♯`/`♭`), one of the quality spellings
/// (`ChordQuality.spellings`, e.g. `m`, `min`, `-`, `maj7`, `Δ7`, `ø`, `°7`, `sus`) and an optional `/bass`.
/// Printing uses the canonical symbol, so `parse(name).description == name` for canonical names.
public struct ChordName: Sendable, Hashable, CustomStringConvertible {
    /// Root pitch class, 0 = C.
    public let root: Int
    /// The chord's quality.
    public let quality: ChordQuality
    /// Bass pitch class of a slash chord (`C/E` → 4), or nil.
    public let bass: Int?
    /// The root as written, e.g. `Bb` or `A#`.
    public let rootSpelling: String
    /// The bass as written, or nil.
    public let bassSpelling: String?
    /// The chord's pitch classes: the quality's intervals above the root, plus the bass of a slash chord.
    public let pitchClasses: PitchClassSet

    /// Root names used when a chord is named from a pitch class (as `MusicalKey` names keys).
    public static let defaultSpellings = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]

    /// A chord on a pitch-class root (spelled with `defaultSpellings`).
    public init(root: Int, quality: ChordQuality, bass: Int? = nil) {
        let rootClass = PitchClassSet.pitchClass(root)
        self.root = rootClass
        self.quality = quality
        self.bass = bass.map(PitchClassSet.pitchClass)
        rootSpelling = Self.defaultSpellings[rootClass]
        bassSpelling = self.bass.map { Self.defaultSpellings[$0] }
        pitchClasses = Self.tones(root: rootClass, quality: quality, bass: self.bass)
    }

    /// Parses a chord name; a bad name throws `MusicianshipError.badChordName` saying what is wrong.
    public init(parsing text: String) throws(MusicianshipError) {
        let name = Self.trimmed(text)
        guard !name.isEmpty else { throw .badChordName(text, reason: "the name is empty") }
        let normalized = name.replacing("♭", with: "b").replacing("♯", with: "#")
        var body = Substring(normalized)
        var bassPart: Substring?
        if let slash = body.lastIndex(of: "/") {
            bassPart = body[body.index(after: slash)...]
            body = body[..<slash]
        }
        guard let (root, spelling, rest) = Self.note(prefixOf: body) else {
            throw .badChordName(text, reason: "a chord name starts with a root letter A to G (e.g. Dm7, Bb, F#maj7)")
        }
        guard let quality = ChordQuality.allCases.first(where: { $0.spellings.contains(String(rest)) }) else {
            let known = ChordQuality.allCases.map(\.symbol).filter { !$0.isEmpty }.joined(separator: ", ")
            throw .badChordName(text, reason: "unknown chord quality '\(rest)' (known: major, \(known))")
        }
        var bass: Int?
        var bassSpelling: String?
        if let bassPart {
            guard let (pitchClass, written, tail) = Self.note(prefixOf: bassPart), tail.isEmpty else {
                throw .badChordName(text, reason: "the bass after '/' must be a note name such as E or Bb")
            }
            bass = pitchClass
            bassSpelling = written
        }
        self.root = root
        self.quality = quality
        self.bass = bass
        rootSpelling = spelling
        self.bassSpelling = bassSpelling
        pitchClasses = Self.tones(root: root, quality: quality, bass: bass)
    }

    private static func tones(root: Int, quality: ChordQuality, bass: Int?) -> PitchClassSet {
        var set = PitchClassSet(quality.intervals.map { root + $0 })
        if let bass { set.insert(bass) }
        return set
    }

    /// The name, e.g. `Dm7`, `Bb`, `C/E`.
    public var description: String {
        rootSpelling + quality.symbol + (bassSpelling.map { "/" + $0 } ?? "")
    }

    /// Reads a note name (letter and accidentals) at the start of `text`: its pitch class, its spelling and the
    /// rest of the text.
    private static func note(prefixOf text: Substring) -> (Int, String, Substring)? {
        let letters: [Character: Int] = ["C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11]
        guard let first = text.first, let natural = letters[first] else { return nil }
        var index = text.index(after: text.startIndex)
        var pitchClass = natural
        while index < text.endIndex, text[index] == "#" || text[index] == "b" {
            pitchClass += text[index] == "#" ? 1 : -1
            index = text.index(after: index)
        }
        return (PitchClassSet.pitchClass(pitchClass), String(text[..<index]), text[index...])
    }

    private static func trimmed(_ text: String) -> Substring {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return slice
    }
}
