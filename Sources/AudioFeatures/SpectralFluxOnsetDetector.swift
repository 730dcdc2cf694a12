import RealModule

/// Online onset detection by SuperFlux-style spectral flux with an adaptive threshold.
///
/// Each frame's log-compressed spectrum is compared with a maximum-filtered earlier frame (which suppresses
/// vibrato), the positive differences are summed into an onset detection function (ODF), and a frame is an
/// onset when its ODF is a local peak above `delta + multiplier × median(recent ODF)`, above a decaying
/// fraction of the recent peaks (so the ripples after a strong attack are not onsets), and at least the minimum
/// gap after the previous onset. There is no fixed absolute level: the threshold follows the signal. A peak is
/// confirmed one frame after it occurs.
public struct SpectralFluxOnsetDetector: Sendable {
    /// Tuning of the detector.
    public struct Settings: Sendable, Hashable {
        /// Constant part of the threshold, in ODF units (mean positive log-flux per bin).
        public var delta: Double = 0.005
        /// Fraction of `delta` kept when the caller vouches for an onset by other evidence (the level rising out of a
        /// dip): the flux of a quiet re-articulated note is small in absolute terms but far above its recent median.
        public var vouchedDeltaFraction = 0.5
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
        /// Fraction of the decaying recent-peak memory a new onset must exceed.
        public var peakMemoryWeight = 0.1
        /// Frames for the recent-peak memory to halve.
        public var peakMemoryHalfLifeFrames = 10.0

        /// Default settings.
        public init() {}
    }

    private let settings: Settings
    private let lowBin: Int
    private let highBin: Int
    private let binCount: Int
    private var history: [Float]  // ring of `lagFrames + 1` log spectra, one after the other
    private var historyIndex = 0
    private var framesSeen = 0
    private var odfRecent: [Double]  // ring for the moving median
    private var odfRecentIndex = 0
    private var sortedRecent: [Double]  // the values in the ring, kept sorted
    private var recentCount = 0
    private var previousODF = 0.0
    private var beforePreviousODF = 0.0
    private var previousMedianTerm = Double.infinity
    private var previousMemoryTerm = Double.infinity
    private var framesSinceOnset = Int.max / 2
    private var framesSinceOnsetBeforeLast = Int.max / 2
    private var peakMemory = 0.0
    private let peakMemoryDecay: Double

    /// The most recent ODF value.
    public private(set) var lastODF = 0.0

    /// Creates a detector for spectra of `binCount` bins from a transform of `fftSize` at `sampleRate`.
    public init(binCount: Int, fftSize: Int, sampleRate: Double, settings: Settings = Settings()) {
        self.settings = settings
        let binHz = sampleRate / Double(fftSize)
        lowBin = max(1, Int(30 / binHz))
        highBin = min(binCount - 2, Int(16_000 / binHz))
        self.binCount = binCount
        history = [Float](repeating: 0, count: binCount * (settings.lagFrames + 1))
        odfRecent = [Double](repeating: 0, count: settings.medianFrames)
        peakMemoryDecay = Double.exp2(-1 / max(1, settings.peakMemoryHalfLifeFrames))
        sortedRecent = [Double](repeating: 0, count: settings.medianFrames)
    }

    /// Highest bin `process` reads: spectra need not be computed above it.
    public var highestBinRead: Int { min(binCount - 1, highBin + settings.maxFilterBins / 2) }

    /// Forgets every frame heard, as a new detector would, without allocating.
    public mutating func reset() {
        for i in history.indices { history[i] = 0 }
        for i in odfRecent.indices { odfRecent[i] = 0 }
        historyIndex = 0
        framesSeen = 0
        odfRecentIndex = 0
        recentCount = 0
        previousODF = 0
        beforePreviousODF = 0
        previousMedianTerm = .infinity
        previousMemoryTerm = .infinity
        framesSinceOnset = Int.max / 2
        framesSinceOnsetBeforeLast = Int.max / 2
        peakMemory = 0
        lastODF = 0
    }

    /// Takes back the onset `process` just reported (the caller found it was none), so that it does not hold off
    /// the next one by the minimum gap.
    public mutating func withdrawLastOnset() {
        framesSinceOnset = framesSinceOnsetBeforeLast + 1
    }

    /// Starts the minimum gap now, as after an onset (the caller found one by other means).
    public mutating func holdOff() {
        framesSinceOnset = 0
    }

    /// Feeds the next frame's magnitudes. Returns true when the *previous* frame was an onset; `minimumGap` is
    /// the smallest allowed distance between onsets in frames. `vouched` says the caller has other evidence of an
    /// onset at the previous frame: the absolute part of its threshold shrinks to `vouchedDeltaFraction`.
    public mutating func process(magnitudes: [Float], minimumGapFrames: Int, vouched: Bool = false) -> Bool {
        let depth = settings.lagFrames + 1
        let current = historyIndex
        let reference = (historyIndex + 1) % depth  // the frame `lagFrames` ago
        let compression = settings.compression
        let low = max(0, lowBin - settings.maxFilterBins / 2)
        let high = min(binCount - 1, highBin + settings.maxFilterBins / 2)
        let half = settings.maxFilterBins / 2
        let ready = framesSeen >= settings.lagFrames
        let (lowBin, highBin, binCount) = (self.lowBin, self.highBin, self.binCount)
        var flux = 0.0
        magnitudes.withUnsafeBufferPointer { magnitudes in
            history.withUnsafeMutableBufferPointer { history in
                let now = history.baseAddress! + current * binCount
                let then = history.baseAddress! + reference * binCount
                // Log compression and the positive flux against the maximum-filtered reference, eight bins at a time.
                let source = UnsafeRawPointer(magnitudes.baseAddress!)
                var bin = low
                while bin + 8 <= high + 1 {
                    let m = source.loadUnaligned(fromByteOffset: bin * 4, as: SIMD8<Float>.self)
                    let value = FastMath.log2(1 + compression * m) * 0.30102999566
                    UnsafeMutableRawPointer(now + bin).storeBytes(of: value, as: SIMD8<Float>.self)
                    bin += 8
                }
                while bin <= high {
                    now[bin] = FastMath.log10(1 + compression * magnitudes[bin])
                    bin += 1
                }
                guard ready else { return }
                var sum: Float = 0
                if half == 1 {
                    // The usual three-bin maximum filter.
                    var lanes = SIMD8<Float>()
                    var bin = lowBin
                    let current = UnsafeRawPointer(now)
                    let previous = UnsafeRawPointer(then)
                    while bin + 8 <= highBin + 1 {
                        // `replace(with:where:)` compiles to vector blends; the stdlib's pointwiseMax does not.
                        var reference = previous.loadUnaligned(fromByteOffset: (bin - 1) * 4, as: SIMD8<Float>.self)
                        let centre = previous.loadUnaligned(fromByteOffset: bin * 4, as: SIMD8<Float>.self)
                        let right = previous.loadUnaligned(fromByteOffset: (bin + 1) * 4, as: SIMD8<Float>.self)
                        reference.replace(with: centre, where: centre .> reference)
                        reference.replace(with: right, where: right .> reference)
                        var rise = current.loadUnaligned(fromByteOffset: bin * 4, as: SIMD8<Float>.self) - reference
                        rise.replace(with: 0, where: rise .< 0)
                        lanes += rise
                        bin += 8
                    }
                    sum = lanes.sum()
                    while bin <= highBin {
                        let referenceValue = max(then[bin - 1], max(then[bin], then[bin + 1]))
                        sum += max(0, now[bin] - referenceValue)
                        bin += 1
                    }
                } else {
                    for bin in lowBin...highBin {
                        var referenceValue: Float = 0
                        for neighbour in max(0, bin - half)...min(binCount - 1, bin + half) {
                            referenceValue = max(referenceValue, then[neighbour])
                        }
                        sum += max(0, now[bin] - referenceValue)
                    }
                }
                flux = Double(sum) / Double(highBin - lowBin + 1)
            }
        }
        historyIndex = reference
        framesSeen += 1
        lastODF = flux

        // The previous frame is an onset if it is a local peak above its threshold.
        let isPeak = previousODF > beforePreviousODF && previousODF >= flux
        let delta = vouched ? settings.delta * settings.vouchedDeltaFraction : settings.delta
        let threshold = max(delta + previousMedianTerm, previousMemoryTerm)
        let isOnset = isPeak && previousODF > threshold && framesSinceOnset >= minimumGapFrames
        if isOnset { framesSinceOnsetBeforeLast = framesSinceOnset }
        framesSinceOnset = isOnset ? 1 : framesSinceOnset + 1

        // Threshold for the current frame from the median of the frames before it and the decaying peak memory.
        let median = recentMedian()
        peakMemory *= peakMemoryDecay
        previousMedianTerm = settings.medianMultiplier * median
        previousMemoryTerm = settings.peakMemoryWeight * peakMemory
        peakMemory = max(peakMemory, flux)
        remember(flux)
        beforePreviousODF = previousODF
        previousODF = flux
        return isOnset
    }

    /// Median of the values in the ring (0 before the first).
    private func recentMedian() -> Double {
        let count = recentCount
        guard count > 0 else { return 0 }
        return count % 2 == 1
            ? sortedRecent[count / 2] : 0.5 * (sortedRecent[count / 2 - 1] + sortedRecent[count / 2])
    }

    /// Puts `value` in the ring and keeps the sorted copy in step: the value it replaces is taken out and the
    /// new one inserted in place, a couple of dozen moves instead of a sort per frame.
    private mutating func remember(_ value: Double) {
        let capacity = odfRecent.count
        guard capacity > 0 else { return }
        sortedRecent.withUnsafeMutableBufferPointer { sorted in
            var count = recentCount
            if count == capacity {
                let leaving = odfRecent[odfRecentIndex]
                var index = 0
                while index < count - 1 && sorted[index] != leaving { index += 1 }
                while index + 1 < count {
                    sorted[index] = sorted[index + 1]
                    index += 1
                }
                count -= 1
            }
            var index = count
            while index > 0 && sorted[index - 1] > value {
                sorted[index] = sorted[index - 1]
                index -= 1
            }
            sorted[index] = value
            recentCount = count + 1
        }
        odfRecent[odfRecentIndex] = value
        odfRecentIndex = (odfRecentIndex + 1) % capacity
    }
}
