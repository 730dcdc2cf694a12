/// Estimates up to four simultaneous notes from a magnitude spectrum by iterative harmonic summation.
///
/// Each candidate note from `lowestNote` to `highestNote` is scored by the weighted magnitudes of spectral
/// peaks near its first partials (within 44 cents at the fundamental, as instruments and soundfonts play that far off
/// the tempered grid, widening with the partial number for piano inharmonicity). A candidate counts only when its
/// fundamental is present, which keeps sub-octave ghosts out. The best candidate is taken and its partials are
/// subtracted from the peaks using a smoothed spectral envelope (Klapuri's spectral smoothness): a partial that also
/// carries another note (a bass's third partial under the tenor's fundamental) sticks out of the envelope, and what
/// sticks out stays for the next round. The search repeats while the next candidate is strong enough.
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
    // Fundamentals of the candidate notes, and per (note, partial) the range of peaks within the partial's
    // tolerance: the ranges depend only on the peaks, so each is found once per spectrum, not once per round.
    private var noteHertz: [Double] = []
    private var noteRange = 0...0
    private var windowStart: [Int] = []
    private var windowEnd: [Int] = []  // -1 until found

    /// Creates an estimator with default settings.
    public init() {
        residual.reserveCapacity(256)
        chosen.reserveCapacity(8)
        partialPeaks.reserveCapacity(16)
        partialAmplitudes.reserveCapacity(16)
        prepareTables()
    }

    /// Sizes the per-note tables for the current settings (allocates only when the settings changed).
    private mutating func prepareTables() {
        let notes = lowestNote...max(lowestNote, highestNote)
        if notes != noteRange || noteHertz.count != notes.count {
            noteRange = notes
            noteHertz = notes.map { PitchMath.hertz(midiPitch: Double($0)) }
        }
        let slots = notes.count * max(1, harmonics)
        if windowEnd.count != slots {
            windowStart = [Int](repeating: 0, count: slots)
            windowEnd = [Int](repeating: -1, count: slots)
        } else {
            for i in windowEnd.indices { windowEnd[i] = -1 }
        }
    }

    /// The notes sounding in the spectrum (MIDI numbers, lowest first); empty for silence or noise.
    public mutating func estimate(magnitudes: [Float], fftSize: Int, sampleRate: Double) -> [Int] {
        picker.findPeaks(
            magnitudes: magnitudes, fftSize: fftSize, sampleRate: sampleRate,
            minimumFrequency: PitchMath.hertz(midiPitch: Double(lowestNote)) * 0.95, maximumFrequency: 8000,
            floorDB: -45)
        let peaks = picker.peaks
        chosen.removeAll(keepingCapacity: true)
        guard !peaks.isEmpty, harmonics >= 1, highestNote >= lowestNote else { return [] }
        prepareTables()
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

    /// Index of the strongest remaining peak within the tolerance of the note's partial, if any.
    private mutating func match(note: Int, partial: Int, peaks: [SpectralPeak]) -> Int? {
        let slot = (note - lowestNote) * harmonics + partial - 1
        if windowEnd[slot] < 0 {
            let toleranceCents = 40 + 4 * Double(partial)
            let ratio = 1 + toleranceCents / 1731  // cents → frequency ratio (1200 / ln 2 ≈ 1731)
            let frequency = Double(partial) * noteHertz[note - lowestNote]
            let low = frequency / ratio
            let high = frequency * ratio
            // Peaks are sorted by frequency: a binary search finds the window.
            var lower = 0
            var upper = peaks.count
            while lower < upper {
                let middle = (lower + upper) / 2
                if peaks[middle].frequency < low { lower = middle + 1 } else { upper = middle }
            }
            var end = lower
            while end < peaks.count && peaks[end].frequency <= high { end += 1 }
            windowStart[slot] = lower
            windowEnd[slot] = end
        }
        var best: Int?
        for index in windowStart[slot]..<windowEnd[slot] where best == nil || residual[index] > residual[best!] {
            best = index
        }
        return best
    }

    private mutating func salience(of note: Int, peaks: [SpectralPeak]) -> Double {
        let fundamental = match(note: note, partial: 1, peaks: peaks).map { residual[$0] } ?? 0
        guard fundamental >= minimumFundamental * strongestResidual else { return 0 }
        var score = 0.0
        for partial in 1...harmonics {
            guard let index = match(note: note, partial: partial, peaks: peaks) else { continue }
            score += residual[index] / Double(partial).squareRoot()
        }
        return score
    }

    /// Subtracts the chosen note's smoothed partial amplitudes from the peaks it explains.
    private mutating func explain(_ note: Int, peaks: [SpectralPeak]) {
        partialPeaks.removeAll(keepingCapacity: true)
        partialAmplitudes.removeAll(keepingCapacity: true)
        for partial in 1...harmonics {
            let index = match(note: note, partial: partial, peaks: peaks) ?? -1
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
