public import MusicHalCore
import RealModule

/// Streaming perception: mono audio blocks in, onsets and complete musical events out.
///
/// The same object serves training (a file read in chunks) and live listening (blocks from the audio thread's
/// ring), so the two paths produce identical events for identical audio. Per hop it runs only cheap work
/// (level and a small onset spectrum); pitch, chroma and centroid are measured per event from the samples
/// captured after its onset. Every buffer is allocated in `init`; `process` allocates only when it emits an
/// event.
public final class StreamingListener {
    /// Sample rate of the stream.
    public let sampleRate: Double
    /// Settings in use.
    public let settings: ListenerSettings
    /// Analysis hop in frames.
    public let hopFrames: Int
    /// Onset-detection window (and transform) in frames: the power of two nearest to the window setting, so the
    /// window lasts about as long at every sample rate.
    public let onsetWindowFrames: Int

    private let onsetSpectrum: MagnitudeSpectrum
    private let chromaSpectrum: MagnitudeSpectrum
    private var onsetDetector: SpectralFluxOnsetDetector
    private let pitchEstimator: YINPitchEstimator
    private var chromaExtractor = ChromaExtractor()
    private var polyphonicEstimator = PolyphonicPitchEstimator()

    // Circular history of conditioned input; `position` is the frame after the newest sample.
    private var history: [Float]
    private let historyMask: Int
    private var position: FrameTime = 0
    private var started = false
    private var samplesInHop = 0
    private var previousLevelDB = -120.0

    // Frame counts derived from the settings.
    private let onsetCompensationFrames: FrameTime
    private let minimumGapHops: Int
    private let releaseHops: Int
    private let maximumEventFrames: FrameTime
    private let attackSkipFrames: Int
    private let pitchIntervalFrames: Int
    private let attackFrames: FrameTime

    // The event being heard.
    private var eventActive = false
    private var eventOnset: FrameTime = 0
    private var eventInterOnset: FrameTime = 0
    private var eventBuffer: [Float]
    private var eventFill = 0
    private var eventPeakDB = -120.0
    private var eventAttackPeakDB = -120.0
    private var lowLevelHops = 0
    private var lowLevelStart: FrameTime = 0
    private var pitchEstimates: [PitchEstimate] = []
    private var lastPitchFill = 0
    private var pitchScratch: [Double] = []

    // Context carried from event to event.
    private var previousOnset: FrameTime?
    private var previousInterOnsetSeconds = 0.0
    private var previousF0: Double?

    /// Level of the most recent hop in dBFS.
    public private(set) var levelDB = -120.0
    /// Samples that were NaN or infinite and were replaced by silence.
    public private(set) var nonFiniteSampleCount = 0
    /// Number of times the input skipped frames (dropped blocks); the listener restarts after each.
    public private(set) var discontinuityCount = 0
    /// The most recent confident pitch estimate of the current event (fractional MIDI), if any.
    public private(set) var currentPitch: Double?

    /// Creates a listener for a stream at `sampleRate` (8 kHz to 192 kHz).
    public init(sampleRate: Double, settings: ListenerSettings = ListenerSettings(), fftProvider: any FFTProvider)
        throws(AudioFeaturesError)
    {
        guard sampleRate.isFinite, sampleRate >= 8000, sampleRate <= 192_000 else {
            throw .unsupportedSampleRate(sampleRate)
        }
        self.sampleRate = sampleRate
        self.settings = settings
        hopFrames = max(16, Int((settings.hopSeconds * sampleRate).rounded()))
        let onsetSize = Self.powerOfTwo(nearest: settings.onsetWindowSeconds * sampleRate)
        onsetWindowFrames = onsetSize
        let chromaSize = Self.powerOfTwo(atLeast: Int(settings.chromaWindowSeconds * sampleRate))
        onsetDetector = SpectralFluxOnsetDetector(
            binCount: onsetSize / 2 + 1, fftSize: onsetSize, sampleRate: sampleRate, settings: settings.onset)
        onsetSpectrum = MagnitudeSpectrum(
            size: onsetSize, sampleRate: sampleRate, fftProvider: fftProvider,
            highestBin: onsetDetector.highestBinRead)
        chromaSpectrum = MagnitudeSpectrum(size: chromaSize, sampleRate: sampleRate, fftProvider: fftProvider)
        let longestPeriod = Int((sampleRate / settings.minimumF0).rounded(.up))
        let pitchCapacity = Int(settings.pitchWindowSeconds * sampleRate) + longestPeriod
        pitchEstimator = YINPitchEstimator(
            sampleRate: sampleRate, minimumFrequency: settings.minimumF0, maximumFrequency: settings.maximumF0,
            capacity: pitchCapacity, fftProvider: fftProvider)
        attackSkipFrames = Int(settings.attackSkipSeconds * sampleRate)
        pitchIntervalFrames = max(hopFrames, Int(settings.pitchIntervalSeconds * sampleRate))
        let eventCapacity = attackSkipFrames + max(chromaSize, pitchCapacity + pitchIntervalFrames * 8)
        eventBuffer = [Float](repeating: 0, count: eventCapacity)
        let historySize = Self.powerOfTwo(atLeast: max(onsetSize * 4, eventCapacity))
        history = [Float](repeating: 0, count: historySize)
        historyMask = historySize - 1
        // The flux peak of a sharp onset comes about a third of a window after it enters the window.
        onsetCompensationFrames = FrameTime(Double(onsetSize) * 0.3)
        minimumGapHops = max(1, Int((settings.minimumInterOnsetSeconds * sampleRate / Double(hopFrames)).rounded()))
        releaseHops = max(1, Int((settings.releaseSeconds * sampleRate / Double(hopFrames)).rounded()))
        maximumEventFrames = FrameTime(settings.maximumEventSeconds * sampleRate)
        attackFrames = FrameTime(0.1 * sampleRate)
        pitchEstimates.reserveCapacity(settings.maximumPitchEstimates)
        pitchScratch.reserveCapacity(settings.maximumPitchEstimates)
    }

    /// The power of two (at least 16) nearest to `value` on a logarithmic scale.
    private static func powerOfTwo(nearest value: Double) -> Int {
        var size = 16
        while Double(size) * 1.414_213_56 < value { size <<= 1 }
        return size
    }

    private static func powerOfTwo(atLeast value: Int) -> Int {
        var size = 16
        while size < value { size <<= 1 }
        return size
    }

    /// Frame just after the newest sample heard.
    public var currentFrame: FrameTime { position }

    /// Feeds one block; onsets and completed events are appended to `outputs`.
    public func process(_ block: AudioBlock, into outputs: inout [ListenerOutput]) {
        block.samples.withUnsafeBufferPointer { samples in
            process(samples, startFrame: block.startFrame, into: &outputs)
        }
    }

    /// Feeds samples starting at `startFrame`; onsets and completed events are appended to `outputs`.
    public func process(
        _ samples: UnsafeBufferPointer<Float>, startFrame: FrameTime, into outputs: inout [ListenerOutput]
    ) {
        var first = 0
        if !started {
            started = true
            position = startFrame
        } else if startFrame > position {
            // Frames were lost: close the event where the audio stopped and start listening afresh.
            discontinuityCount += 1
            if eventActive { finishEvent(offset: position, into: &outputs) }
            restart(at: startFrame)
        } else if startFrame < position {
            first = Int(min(FrameTime(samples.count), position - startFrame))  // already heard
        }
        var index = first
        while index < samples.count {
            // Work up to the next hop boundary with local copies, then run the hop's analysis.
            let chunk = min(samples.count - index, hopFrames - samplesInHop)
            conditionAndStore(UnsafeBufferPointer(rebasing: samples[index..<(index + chunk)]))
            index += chunk
            samplesInHop += chunk
            if samplesInHop == hopFrames { endOfHop(into: &outputs) }
        }
    }

    /// Sanitises and stores samples in the history (and the event buffer). The hop's level is computed from the
    /// history at the end of the hop, in a fixed order, so block boundaries never change a result.
    private func conditionAndStore(_ samples: UnsafeBufferPointer<Float>) {
        guard let base = samples.baseAddress, !samples.isEmpty else { return }
        let count = samples.count
        var nonFinite = 0
        let start = Int(position & FrameTime(historyMask))
        let capture = eventActive ? min(count, eventBuffer.count - eventFill) : 0
        let fill = eventFill
        history.withUnsafeMutableBufferPointer { history in
            eventBuffer.withUnsafeMutableBufferPointer { eventBuffer in
                // The ring is longer than a hop, so a chunk wraps at most once: copy it in up to two runs.
                let firstPart = min(count, history.count - start)
                var offset = 0
                var target = history.baseAddress! + start
                var length = firstPart
                while length > 0 {
                    // Eight samples at a time: non-finite values become silence (and are counted).
                    var i = 0
                    let source = UnsafeRawPointer(base + offset)
                    let destination = UnsafeMutableRawPointer(target)
                    while i + 8 <= length {
                        var x = source.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        // x − x is 0 for every finite x and NaN for infinities and NaNs.
                        let finite = (x - x) .== 0
                        if any(.!finite) {
                            for lane in 0..<8 where !finite[lane] { nonFinite += 1 }
                            x.replace(with: 0, where: .!finite)
                        }
                        destination.storeBytes(of: x, toByteOffset: i * 4, as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < length {
                        var x = base[offset + i]
                        if !x.isFinite {
                            x = 0
                            nonFinite += 1
                        }
                        target[i] = x
                        i += 1
                    }
                    offset += length
                    target = history.baseAddress!
                    length = count - offset
                }
                if capture > 0 {
                    // The same samples, already sanitised, in up to two contiguous runs.
                    let firstRun = min(capture, history.count - start)
                    (eventBuffer.baseAddress! + fill).update(from: history.baseAddress! + start, count: firstRun)
                    (eventBuffer.baseAddress! + fill + firstRun).update(
                        from: history.baseAddress!, count: capture - firstRun)
                }
            }
        }
        position += FrameTime(count)
        eventFill += capture
        nonFiniteSampleCount += nonFinite
    }

    /// Ends the stream: the event in progress is completed at the last frame heard.
    public func finish(into outputs: inout [ListenerOutput]) {
        if eventActive { finishEvent(offset: position, into: &outputs) }
    }

    private func restart(at frame: FrameTime) {
        position = frame
        for i in history.indices { history[i] = 0 }
        onsetDetector.reset()
        samplesInHop = 0
        previousOnset = nil
        previousF0 = nil
        previousInterOnsetSeconds = 0
    }

    private func endOfHop(into outputs: inout [ListenerOutput]) {
        let level = hopLevelDB()
        levelDB = level
        samplesInHop = 0

        // Onset spectrum over the newest window, read from the circular history in two pieces.
        let size = onsetSpectrum.size
        let end = Int(position & FrameTime(historyMask))
        history.withUnsafeBufferPointer { h in
            let start = (end - size + h.count) & historyMask
            if start < end {
                onsetSpectrum.analyse(
                    UnsafeBufferPointer(rebasing: h[start..<end]), UnsafeBufferPointer(start: nil, count: 0))
            } else {
                onsetSpectrum.analyse(
                    UnsafeBufferPointer(rebasing: h[start..<h.count]), UnsafeBufferPointer(rebasing: h[0..<end]))
            }
        }
        let previousHopWasOnset = onsetDetector.process(
            magnitudes: onsetSpectrum.magnitudes, minimumGapFrames: minimumGapHops)
        if previousHopWasOnset && max(level, previousLevelDB) > settings.gateDB {
            let detectedAt = position - FrameTime(hopFrames)
            var frame = detectedAt > onsetCompensationFrames ? detectedAt - onsetCompensationFrames : 0
            if let last = previousOnset, frame <= last { frame = last + 1 }
            startEvent(at: frame, levelDB: max(level, previousLevelDB), into: &outputs)
        }
        if eventActive { updateEvent(levelDB: level, into: &outputs) }
        previousLevelDB = level
    }

    /// Level of the hop just completed in dBFS: its variance, so a DC offset does not count as sound.
    private func hopLevelDB() -> Double {
        let end = Int(position & FrameTime(historyMask))
        let start = (end - hopFrames + history.count) & historyMask
        var sum = SIMD8<Float>()
        var energy = SIMD8<Float>()
        var tailSum: Float = 0
        var tailEnergy: Float = 0
        history.withUnsafeBufferPointer { history in
            let raw = UnsafeRawPointer(history.baseAddress!)
            var i = 0
            if start + hopFrames <= history.count {
                while i + 8 <= hopFrames {
                    let x = raw.loadUnaligned(fromByteOffset: (start + i) * 4, as: SIMD8<Float>.self)
                    sum += x
                    energy += x * x
                    i += 8
                }
            }
            while i < hopFrames {
                let x = history[(start + i) & historyMask]
                tailSum += x
                tailEnergy += x * x
                i += 1
            }
        }
        let count = Double(hopFrames)
        let mean = Double(sum.sum() + tailSum) / count
        let variance = max(0, Double(energy.sum() + tailEnergy) / count - mean * mean)
        return 10 * Double.log10(variance + 1e-12)
    }

    private func startEvent(at frame: FrameTime, levelDB: Double, into outputs: inout [ListenerOutput]) {
        if eventActive { finishEvent(offset: frame, into: &outputs) }
        outputs.append(.onset(frame: frame, levelDB: levelDB))
        eventActive = true
        eventOnset = frame
        eventInterOnset = previousOnset.map { frame - $0 } ?? 0
        previousOnset = frame
        eventPeakDB = levelDB
        eventAttackPeakDB = levelDB
        lowLevelHops = 0
        pitchEstimates.removeAll(keepingCapacity: true)
        lastPitchFill = 0
        currentPitch = nil
        // Samples between the onset and now are already in the history: copy them into the event buffer.
        let available = Int(min(position - frame, FrameTime(history.count)))
        let count = min(available, eventBuffer.count)
        let first = Int((position - FrameTime(available)) & FrameTime(historyMask))
        let mask = historyMask
        history.withUnsafeBufferPointer { history in
            eventBuffer.withUnsafeMutableBufferPointer { eventBuffer in
                for i in 0..<count { eventBuffer[i] = history[(first + i) & mask] }
            }
        }
        eventFill = count
    }

    private func updateEvent(levelDB level: Double, into outputs: inout [ListenerOutput]) {
        eventPeakDB = max(eventPeakDB, level)
        if position - eventOnset <= attackFrames { eventAttackPeakDB = max(eventAttackPeakDB, level) }

        let usable = eventFill - attackSkipFrames
        if pitchEstimates.count < settings.maximumPitchEstimates, usable >= Int(0.02 * sampleRate),
            eventFill - lastPitchFill >= pitchIntervalFrames
        {
            lastPitchFill = eventFill
            let start = max(attackSkipFrames, eventFill - pitchEstimator.capacity)
            let estimate = eventBuffer.withUnsafeBufferPointer { buffer in
                pitchEstimator.estimate(UnsafeBufferPointer(rebasing: buffer[start..<eventFill]))
            }
            if let estimate {
                pitchEstimates.append(estimate)
                if estimate.confidence >= settings.minimumPitchConfidence { currentPitch = estimate.midiPitch }
            }
        }

        if level < max(settings.gateDB, eventPeakDB - settings.releaseDropDB) {
            if lowLevelHops == 0 { lowLevelStart = position - FrameTime(hopFrames) }
            lowLevelHops += 1
            if lowLevelHops >= releaseHops {
                finishEvent(offset: max(lowLevelStart, eventOnset + 1), into: &outputs)
                return
            }
        } else {
            lowLevelHops = 0
        }
        if position - eventOnset >= maximumEventFrames { finishEvent(offset: position, into: &outputs) }
    }

    private func finishEvent(offset: FrameTime, into outputs: inout [ListenerOutput]) {
        eventActive = false
        currentPitch = nil

        // Pitch: median of the confident estimates.
        pitchScratch.removeAll(keepingCapacity: true)
        var confidenceSum = 0.0
        for estimate in pitchEstimates where estimate.confidence >= settings.minimumPitchConfidence {
            pitchScratch.append(estimate.midiPitch)
            confidenceSum += estimate.confidence
        }
        pitchScratch.sort()
        var midi: Double?
        if !pitchScratch.isEmpty {
            let middle = pitchScratch.count / 2
            midi =
                pitchScratch.count % 2 == 1
                ? pitchScratch[middle] : 0.5 * (pitchScratch[middle - 1] + pitchScratch[middle])
        }
        var confidence = pitchScratch.isEmpty ? 0 : confidenceSum / Double(pitchScratch.count)

        // Chroma, centroid and the polyphonic pitch set from the spectrum just after the attack.
        let start = min(attackSkipFrames, eventFill)
        eventBuffer.withUnsafeBufferPointer { buffer in
            chromaSpectrum.analyse(UnsafeBufferPointer(rebasing: buffer[start..<eventFill]))
        }
        let chroma = chromaExtractor.chroma(
            magnitudes: chromaSpectrum.magnitudes, fftSize: chromaSpectrum.size, sampleRate: sampleRate)
        let centroid = chromaSpectrum.centroid()
        var notes = polyphonicEstimator.estimate(
            magnitudes: chromaSpectrum.magnitudes, fftSize: chromaSpectrum.size, sampleRate: sampleRate)
        if let yinNote = midi.map({ Int($0.rounded()) }), notes.count <= 1 {
            notes = [yinNote]  // monophonic: YIN's estimate is the finer one
        } else if let top = notes.last, notes.count >= 2, midi.map({ !notes.contains(Int($0.rounded())) }) ?? true {
            // A chord: YIN locks onto the common period, below every voice. The top voice carries the melody.
            midi = Double(top)
            confidence = 0.5
        }
        let f0 = midi.map { PitchMath.hertz(midiPitch: $0) }

        let interOnsetSeconds = Double(eventInterOnset) / sampleRate
        let pitches = notes.map(Double.init)
        let features = EventFeatureLayout.features(
            EventFeatureLayout.Inputs(
                chroma: chroma, pitches: pitches, f0: f0, previousF0: previousF0, confidence: confidence,
                centroid: centroid, levelDB: eventAttackPeakDB, interOnset: interOnsetSeconds,
                previousInterOnset: previousInterOnsetSeconds))
        let velocity = UInt8(max(1, min(127, (127 * (eventAttackPeakDB + 60) / 57).rounded())))
        let event = MusicalEvent(
            onsetFrame: eventOnset, offsetFrame: max(offset, eventOnset + 1), midiPitch: midi, f0Hz: f0,
            pitchConfidence: confidence, pitches: notes, velocity: velocity,
            levelDB: eventAttackPeakDB, interOnsetFrames: eventInterOnset, centroidHz: centroid,
            features: features)
        outputs.append(.event(event))
        if let f0 { previousF0 = f0 }
        if eventInterOnset > 0 { previousInterOnsetSeconds = interOnsetSeconds }
    }
}
