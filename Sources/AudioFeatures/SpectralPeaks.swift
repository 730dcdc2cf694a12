import RealModule

/// A spectral peak with its frequency refined between bins.
public struct SpectralPeak: Sendable, Hashable {
    /// Frequency in hertz (parabolic interpolation on log magnitude).
    public var frequency: Double
    /// Magnitude of the peak bin.
    public var magnitude: Double
}

/// Finds the local maxima of a magnitude spectrum above a floor relative to the strongest one.
public struct SpectralPeakPicker: Sendable {
    /// Peaks of the last call, lowest frequency first.
    public private(set) var peaks: [SpectralPeak] = []

    /// Creates a picker with room for a few hundred peaks.
    public init() { peaks.reserveCapacity(256) }

    /// Finds peaks between `minimumFrequency` and `maximumFrequency` no weaker than `floorDB` below the strongest.
    public mutating func findPeaks(
        magnitudes: [Float], fftSize: Int, sampleRate: Double, minimumFrequency: Double, maximumFrequency: Double,
        floorDB: Double
    ) {
        peaks.removeAll(keepingCapacity: true)
        let binHz = sampleRate / Double(fftSize)
        let lowBin = max(2, Int(minimumFrequency / binHz))
        let highBin = min(magnitudes.count - 2, Int(maximumFrequency / binHz))
        guard lowBin <= highBin else { return }
        var strongest: Float = 0
        for bin in lowBin...highBin { strongest = max(strongest, magnitudes[bin]) }
        guard strongest > 1e-6 else { return }
        let floor = strongest * Float(Double.exp10(floorDB / 20))
        for bin in lowBin...highBin {
            let m = magnitudes[bin]
            guard m > floor, m > magnitudes[bin - 1], m >= magnitudes[bin + 1] else { continue }
            let a = Double.log(Double(max(magnitudes[bin - 1], 1e-12)))
            let b = Double.log(Double(m))
            let c = Double.log(Double(max(magnitudes[bin + 1], 1e-12)))
            let curvature = a - 2 * b + c
            let offset = curvature < 0 ? max(-0.5, min(0.5, 0.5 * (a - c) / curvature)) : 0
            peaks.append(SpectralPeak(frequency: (Double(bin) + offset) * binHz, magnitude: Double(m)))
        }
    }
}
