import RealModule

/// Twelve-dimensional pitch-class profile (chroma) of a magnitude spectrum, pitch class 0 = C.
///
/// Spectral peaks are located and refined by parabolic interpolation; a peak lying at an integer multiple
/// (3, 5, 6, 7, ...) of a lower peak is taken as that note's overtone and strongly attenuated, so a note's
/// fifth and third partials do not light up pitch classes that were never played. Octave partials (2, 4, 8)
/// share the note's own class and are kept.
public struct ChromaExtractor: Sendable {
    /// Lowest frequency considered.
    public var minimumFrequency = 50.0
    /// Highest frequency considered.
    public var maximumFrequency = 5000.0
    /// Peaks weaker than this, relative to the strongest peak in dB, are ignored.
    public var floorDB = -50.0
    /// Weight kept by a peak explained as a non-octave overtone of a lower peak.
    public var overtoneWeight = 0.1
    /// Relative frequency tolerance for the overtone test.
    public var harmonicTolerance = 0.015

    private var picker = SpectralPeakPicker()

    /// Creates an extractor with default settings.
    public init() {}

    /// Computes chroma (L2-normalised, all zeros for silence) from `magnitudes` of a transform of `fftSize`.
    public mutating func chroma(magnitudes: [Float], fftSize: Int, sampleRate: Double) -> [Float] {
        var chroma = [Float](repeating: 0, count: 12)
        picker.findPeaks(
            magnitudes: magnitudes, fftSize: fftSize, sampleRate: sampleRate, minimumFrequency: minimumFrequency,
            maximumFrequency: maximumFrequency, floorDB: floorDB)
        let peaks = picker.peaks
        guard !peaks.isEmpty else { return chroma }

        peaks.withUnsafeBufferPointer { peaks in
            for index in peaks.indices {
                let frequency = peaks[index].frequency
                var weight = peaks[index].magnitude
                let strongEnough = 0.25 * weight
                // Lower peaks from the bottom up. One above f / 1.5 gives a ratio that rounds to 1, never a
                // harmonic, and the peaks are sorted by frequency, so the search stops there. The magnitude
                // test comes before the division.
                for lower in 0..<index {
                    let lowerFrequency = peaks[lower].frequency
                    if lowerFrequency * 1.5 > frequency { break }
                    guard peaks[lower].magnitude >= strongEnough else { continue }
                    let ratio = frequency / lowerFrequency
                    let harmonic = ratio.rounded()
                    guard harmonic >= 2, abs(ratio - harmonic) <= harmonicTolerance * harmonic else { continue }
                    let isOctave = harmonic == 2 || harmonic == 4 || harmonic == 8 || harmonic == 16
                    if !isOctave {
                        weight *= overtoneWeight
                        break
                    }
                }
                let midi = PitchMath.midiPitch(hertz: frequency)
                let pitchClass = PitchMath.pitchClass(Int(midi.rounded()))
                chroma[pitchClass] += Float(weight)
            }
        }
        var norm: Float = 0
        for value in chroma { norm += value * value }
        norm = norm.squareRoot()
        if norm > 0 {
            for i in 0..<12 { chroma[i] /= norm }
        }
        return chroma
    }
}
