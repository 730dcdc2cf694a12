public import MusicHalCore
import RealModule

/// The 22-dimensional traditional feature vector of a musical event: 12 chroma + 10 ratio features.
///
/// Every dimension lies roughly in [0, 1] (signed ones in [-1, 1]) so that plain Euclidean distance, which the
/// oracle uses, weighs them comparably. Changing this layout changes what stored models mean: bump
/// `version` and the model format version with it.
public enum EventFeatureLayout {
    /// Layout version recorded in model files.
    public static let version = 1
    /// Number of dimensions.
    public static let dimension = 22
    /// Index of chroma pitch class C; chroma occupies 0...11 (L2-normalised).
    public static let chroma = 0..<12
    /// Consonance of the event's simultaneous pitches (1 for a single note).
    public static let chordConsonance = 12
    /// Number of simultaneous pitches: (count − 1) / 3.
    public static let polyphony = 13
    /// Span of the chord as the log2 frequency ratio highest/lowest, over two octaves.
    public static let chordSpan = 14
    /// Melodic step from the previous pitched event: log2 frequency ratio, clamped to ±1 octave.
    public static let melodicRatio = 15
    /// Consonance of that melodic step (1 when there is no previous pitch).
    public static let melodicConsonance = 16
    /// Register: log2(f0 / 55 Hz) / 6, i.e. A1 = 0 and A7 = 1 (0 when unpitched).
    public static let register = 17
    /// Brightness: log2(spectral centroid / f0) / 5 (0 when unpitched).
    public static let brightness = 18
    /// Harmonicity: the pitch estimate's confidence.
    public static let harmonicity = 19
    /// Loudness: (level dBFS + 60) / 60.
    public static let loudness = 20
    /// Rhythmic ratio: log2(IOI / previous IOI) / 2, clamped to ±1 (0 when either is unknown).
    public static let rhythmRatio = 21

    /// Human-readable name of each dimension, in order.
    public static let names: [String] = [
        "chroma_C", "chroma_C#", "chroma_D", "chroma_D#", "chroma_E", "chroma_F", "chroma_F#", "chroma_G",
        "chroma_G#", "chroma_A", "chroma_A#", "chroma_B", "chord_consonance", "polyphony", "chord_span",
        "melodic_ratio", "melodic_consonance", "register", "brightness", "harmonicity", "loudness",
        "rhythm_ratio",
    ]

    /// What the feature computation needs to know about the event and its predecessor.
    public struct Inputs: Sendable {
        /// Chroma (12 values).
        public var chroma: [Float]
        /// Simultaneous pitches as fractional MIDI, lowest first.
        public var pitches: [Double]
        /// Fundamental in hertz, if pitched.
        public var f0: Double?
        /// Fundamental of the previous pitched event, if any.
        public var previousF0: Double?
        /// Pitch confidence.
        public var confidence: Double
        /// Spectral centroid in hertz.
        public var centroid: Double
        /// Level in dBFS.
        public var levelDB: Double
        /// Inter-onset interval to the previous event in seconds (0 when unknown).
        public var interOnset: Double
        /// The previous event's inter-onset interval in seconds (0 when unknown).
        public var previousInterOnset: Double

        /// Creates the inputs.
        public init(
            chroma: [Float], pitches: [Double], f0: Double?, previousF0: Double?, confidence: Double,
            centroid: Double, levelDB: Double, interOnset: Double, previousInterOnset: Double
        ) {
            self.chroma = chroma
            self.pitches = pitches
            self.f0 = f0
            self.previousF0 = previousF0
            self.confidence = confidence
            self.centroid = centroid
            self.levelDB = levelDB
            self.interOnset = interOnset
            self.previousInterOnset = previousInterOnset
        }
    }

    /// Computes the feature vector.
    public static func features(_ inputs: Inputs) -> FeatureVector {
        var values = [Float](repeating: 0, count: dimension)
        for i in 0..<12 where i < inputs.chroma.count { values[i] = inputs.chroma[i] }
        let clamp = { (x: Double, low: Double, high: Double) in Float(max(low, min(high, x))) }
        values[chordConsonance] = Float(IntervalConsonance.chordConsonance(midiPitches: inputs.pitches))
        values[polyphony] = clamp(Double(max(0, inputs.pitches.count - 1)) / 3, 0, 1)
        if let low = inputs.pitches.first, let high = inputs.pitches.last {
            values[chordSpan] = clamp((high - low) / 24, 0, 1)
        }
        if let f0 = inputs.f0, f0 > 0 {
            if let previous = inputs.previousF0, previous > 0 {
                values[melodicRatio] = clamp(Double.log2(f0 / previous), -1, 1)
                values[melodicConsonance] = Float(IntervalConsonance.consonance(ratio: f0 / previous))
            } else {
                values[melodicConsonance] = 1
            }
            values[register] = clamp(Double.log2(f0 / 55) / 6, 0, 1)
            if inputs.centroid > 0 { values[brightness] = clamp(Double.log2(inputs.centroid / f0) / 5, 0, 1) }
        } else {
            values[melodicConsonance] = 1
        }
        values[harmonicity] = clamp(inputs.confidence, 0, 1)
        values[loudness] = clamp((inputs.levelDB + 60) / 60, 0, 1)
        if inputs.interOnset > 0, inputs.previousInterOnset > 0 {
            values[rhythmRatio] = clamp(Double.log2(inputs.interOnset / inputs.previousInterOnset) / 2, -1, 1)
        }
        return FeatureVector(values)
    }
}
