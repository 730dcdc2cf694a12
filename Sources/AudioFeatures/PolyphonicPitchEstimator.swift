/// Estimates up to four simultaneous notes from a magnitude spectrum by iterative harmonic summation.
///
/// Each candidate note from `lowestNote` to `highestNote` is scored by the weighted magnitudes of spectral
/// peaks near its first partials (with a tolerance that widens with the partial number, for piano
/// inharmonicity). A candidate counts only when its fundamental is present, which keeps sub-octave ghosts
/// out. The best candidate is taken and its partials are subtracted from the peaks
/// using a smoothed spectral envelope (Klapuri's spectral smoothness): a partial that also carries another
/// note (a bass's third partial under the tenor's fundamental) sticks out of the envelope, and what sticks out
/// stays for the next round. The search repeats while the next candidate is strong enough.
public struct PolyphonicPitchEstimator: Sendable {
    /// Lowest MIDI note considered.
    public var lowestNote = 33
    /// Highest MIDI note considered.
    public var highestNote = 96
    /// Most notes reported.
    public var maximumNotes = 4
    /// Partials summed per candidate.
    public var harmonics = 10
    /// A further note must reach this fraction of the first note's score.
    public var relativeThreshold = 0.2
    /// A candidate's fundamental must reach this fraction of the strongest remaining peak.
    public var minimumFundamental = 0.05

    private var picker = SpectralPeakPicker()
    private var residual: [Double] = []
    private var chosen: [Int] = []
    private var partialPeaks: [Int] = []
    private var partialAmplitudes: [Double] = []
    private var strongestResidual = 0.0

    /// Creates an estimator with default settings.
    public init() {
        residual.reserveCapacity(256)
        chosen.reserveCapacity(8)
        partialPeaks.reserveCapacity(16)
        partialAmplitudes.reserveCapacity(16)
    }

    /// The notes sounding in the spectrum (MIDI numbers, lowest first); empty for silence or noise.
    public mutating func estimate(magnitudes: [Float], fftSize: Int, sampleRate: Double) -> [Int] {
        picker.findPeaks(
            magnitudes: magnitudes, fftSize: fftSize, sampleRate: sampleRate,
            minimumFrequency: PitchMath.hertz(midiPitch: Double(lowestNote)) * 0.95, maximumFrequency: 8000,
            floorDB: -45)
        let peaks = picker.peaks
        chosen.removeAll(keepingCapacity: true)
        guard !peaks.isEmpty else { return [] }
        residual.removeAll(keepingCapacity: true)
        for peak in peaks { residual.append(peak.magnitude) }
        var firstScore = 0.0
        while chosen.count < maximumNotes {
            var bestNote = -1
            var bestScore = 0.0
            strongestResidual = residual.max() ?? 0
            for note in lowestNote...highestNote where !chosen.contains(note) {
                let score = salience(of: note, peaks: peaks)
                if score > bestScore {
                    bestScore = score
                    bestNote = note
                }
            }
            guard bestNote >= 0, bestScore > 0 else { break }
            if chosen.isEmpty {
                firstScore = bestScore
            } else if bestScore < relativeThreshold * firstScore {
                break
            }
            chosen.append(bestNote)
            explain(bestNote, peaks: peaks)
        }
        return chosen.sorted()
    }

    /// Index of the strongest remaining peak within the partial's tolerance, if any.
    private func match(_ frequency: Double, partial: Int, peaks: [SpectralPeak]) -> Int? {
        let toleranceCents = 30 + 4 * Double(partial)
        let ratio = 1 + toleranceCents / 1731  // cents → frequency ratio (1200 / ln 2 ≈ 1731)
        let low = frequency / ratio
        let high = frequency * ratio
        var best: Int?
        // Peaks are sorted by frequency: a binary search finds the window.
        var lower = 0
        var upper = peaks.count
        while lower < upper {
            let middle = (lower + upper) / 2
            if peaks[middle].frequency < low { lower = middle + 1 } else { upper = middle }
        }
        var index = lower
        while index < peaks.count && peaks[index].frequency <= high {
            if best == nil || residual[index] > residual[best!] { best = index }
            index += 1
        }
        return best
    }

    private func salience(of note: Int, peaks: [SpectralPeak]) -> Double {
        let f0 = PitchMath.hertz(midiPitch: Double(note))
        let fundamental = match(f0, partial: 1, peaks: peaks).map { residual[$0] } ?? 0
        guard fundamental >= minimumFundamental * strongestResidual else { return 0 }
        var score = 0.0
        for partial in 1...harmonics {
            guard let index = match(Double(partial) * f0, partial: partial, peaks: peaks) else { continue }
            score += residual[index] / Double(partial).squareRoot()
        }
        return score
    }

    /// Subtracts the chosen note's smoothed partial amplitudes from the peaks it explains.
    private mutating func explain(_ note: Int, peaks: [SpectralPeak]) {
        let f0 = PitchMath.hertz(midiPitch: Double(note))
        partialPeaks.removeAll(keepingCapacity: true)
        partialAmplitudes.removeAll(keepingCapacity: true)
        for partial in 1...harmonics {
            let index = match(Double(partial) * f0, partial: partial, peaks: peaks) ?? -1
            partialPeaks.append(index)
            partialAmplitudes.append(index >= 0 ? residual[index] : 0)
        }
        for h in 0..<harmonics where partialPeaks[h] >= 0 {
            // The envelope at partial h: the mean of its neighbours and itself, never above the partial itself.
            let lower = max(0, h - 1)
            let upper = min(harmonics - 1, h + 1)
            var sum = 0.0
            for k in lower...upper { sum += partialAmplitudes[k] }
            let envelope = min(partialAmplitudes[h], sum / Double(upper - lower + 1))
            residual[partialPeaks[h]] = max(0, residual[partialPeaks[h]] - envelope)
        }
    }
}
