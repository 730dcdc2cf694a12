import RealModule

/// Online onset detection by SuperFlux-style spectral flux with an adaptive threshold.
///
/// Each frame's log-compressed spectrum is compared with a maximum-filtered earlier frame (which suppresses
/// vibrato), the positive differences are summed into an onset detection function (ODF), and a frame is an
/// onset when its ODF is a local peak above `delta + multiplier × median(recent ODF)` and at least
/// `minimumInterOnsetFrames` after the previous onset. There is no fixed absolute level: the threshold follows
/// the signal. A peak is confirmed one frame after it occurs.
public struct SpectralFluxOnsetDetector: Sendable {
    /// Tuning of the detector.
    public struct Settings: Sendable, Hashable {
        /// Constant part of the threshold, in ODF units (mean positive log-flux per bin).
        public var delta: Double = 0.005
        /// Weight of the recent median in the threshold.
        public var medianMultiplier: Double = 1.5
        /// Number of past frames in the moving median.
        public var medianFrames: Int = 24
        /// Frames between a frame and the reference it is compared with.
        public var lagFrames: Int = 2
        /// Width in bins of the maximum filter over frequency (odd).
        public var maxFilterBins: Int = 3
        /// Compression factor of the log spectrum, `log10(1 + λ·|X|)`.
        public var compression: Float = 1000

        /// Default settings.
        public init() {}
    }

    private let settings: Settings
    private let lowBin: Int
    private let highBin: Int
    private var history: [[Float]]  // ring of log spectra, `lagFrames + 1` deep
    private var historyIndex = 0
    private var framesSeen = 0
    private var odfRecent: [Double]  // ring for the moving median
    private var odfRecentIndex = 0
    private var scratch: [Double]
    private var previousODF = 0.0
    private var beforePreviousODF = 0.0
    private var previousThreshold = Double.infinity
    private var framesSinceOnset = Int.max / 2

    /// The most recent ODF value.
    public private(set) var lastODF = 0.0

    /// Creates a detector for spectra of `binCount` bins from a transform of `fftSize` at `sampleRate`.
    public init(binCount: Int, fftSize: Int, sampleRate: Double, settings: Settings = Settings()) {
        self.settings = settings
        let binHz = sampleRate / Double(fftSize)
        lowBin = max(1, Int(30 / binHz))
        highBin = min(binCount - 1, Int(16_000 / binHz))
        history = Array(repeating: [Float](repeating: 0, count: binCount), count: settings.lagFrames + 1)
        odfRecent = [Double](repeating: 0, count: settings.medianFrames)
        scratch = [Double](repeating: 0, count: settings.medianFrames)
    }

    /// Feeds the next frame's magnitudes. Returns true when the *previous* frame was an onset; `minimumGap` is
    /// the smallest allowed distance between onsets in frames.
    public mutating func process(magnitudes: [Float], minimumGapFrames: Int) -> Bool {
        let current = historyIndex
        let reference = (historyIndex + 1) % history.count  // the frame `lagFrames` ago
        for bin in 0..<magnitudes.count {
            history[current][bin] = Float.log10(1 + settings.compression * magnitudes[bin])
        }
        var flux = 0.0
        if framesSeen >= settings.lagFrames {
            let half = settings.maxFilterBins / 2
            for bin in lowBin...highBin {
                var referenceValue: Float = 0
                for neighbour in max(0, bin - half)...min(magnitudes.count - 1, bin + half) {
                    referenceValue = max(referenceValue, history[reference][neighbour])
                }
                let rise = history[current][bin] - referenceValue
                if rise > 0 { flux += Double(rise) }
            }
            flux /= Double(highBin - lowBin + 1)
        }
        historyIndex = reference
        framesSeen += 1
        lastODF = flux

        // The previous frame is an onset if it is a local peak above its threshold.
        let isPeak = previousODF > beforePreviousODF && previousODF >= flux
        let isOnset = isPeak && previousODF > previousThreshold && framesSinceOnset >= minimumGapFrames
        framesSinceOnset = isOnset ? 1 : framesSinceOnset + 1

        // Threshold for the current frame from the median of the frames before it.
        let median = recentMedian()
        previousThreshold = settings.delta + settings.medianMultiplier * median
        odfRecent[odfRecentIndex] = flux
        odfRecentIndex = (odfRecentIndex + 1) % odfRecent.count
        beforePreviousODF = previousODF
        previousODF = flux
        return isOnset
    }

    private mutating func recentMedian() -> Double {
        let count = min(framesSeen - 1, odfRecent.count)
        guard count > 0 else { return 0 }
        for i in 0..<count { scratch[i] = odfRecent[i] }
        // Insertion sort: a couple of dozen values, no allocation.
        for i in 1..<max(1, count) {
            let value = scratch[i]
            var j = i - 1
            while j >= 0 && scratch[j] > value {
                scratch[j + 1] = scratch[j]
                j -= 1
            }
            scratch[j + 1] = value
        }
        return count % 2 == 1 ? scratch[count / 2] : 0.5 * (scratch[count / 2 - 1] + scratch[count / 2])
    }
}
