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

    private let onsetSpectrum: MagnitudeSpectrum
    private let chromaSpectrum: MagnitudeSpectrum
    private var onsetDetector: SpectralFluxOnsetDetector
    private let pitchEstimator: YINPitchEstimator
    private var chromaExtractor = ChromaExtractor()

    // Circular history of conditioned input; `position` is the frame after the newest sample.
    private var history: [Float]
    private let historyMask: Int
    private var position: FrameTime = 0
    private var started = false
    private var samplesInHop = 0
    private var hopEnergy = 0.0
    private var previousLevelDB = -120.0
    private var dcInput: Float = 0
    private var dcOutput: Float = 0
    private let dcCoefficient: Float

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
        let onsetSize = Self.powerOfTwo(atLeast: Int(settings.onsetWindowSeconds * sampleRate))
        let chromaSize = Self.powerOfTwo(atLeast: Int(settings.chromaWindowSeconds * sampleRate))
        onsetSpectrum = MagnitudeSpectrum(size: onsetSize, sampleRate: sampleRate, fftProvider: fftProvider)
        chromaSpectrum = MagnitudeSpectrum(size: chromaSize, sampleRate: sampleRate, fftProvider: fftProvider)
        onsetDetector = SpectralFluxOnsetDetector(
            binCount: onsetSize / 2 + 1, fftSize: onsetSize, sampleRate: sampleRate, settings: settings.onset)
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
        dcCoefficient = Float(1 - 2 * Double.pi * 10 / sampleRate)  // one-pole DC blocker at 10 Hz
        pitchEstimates.reserveCapacity(settings.maximumPitchEstimates)
        pitchScratch.reserveCapacity(settings.maximumPitchEstimates)
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
            // Start the DC blocker from the first sample, so an offset present from the start is no "onset".
            if let first = samples.first, first.isFinite { dcInput = first }
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
            var x = samples[index]
            if !x.isFinite {
                x = 0
                nonFiniteSampleCount += 1
            }
            let y = x - dcInput + dcCoefficient * dcOutput
            dcInput = x
            dcOutput = y
            history[Int(position & FrameTime(historyMask))] = y
            position += 1
            if eventActive && eventFill < eventBuffer.count {
                eventBuffer[eventFill] = y
                eventFill += 1
            }
            hopEnergy += Double(y) * Double(y)
            samplesInHop += 1
            if samplesInHop == hopFrames { endOfHop(into: &outputs) }
            index += 1
        }
    }

    /// Ends the stream: the event in progress is completed at the last frame heard.
    public func finish(into outputs: inout [ListenerOutput]) {
        if eventActive { finishEvent(offset: position, into: &outputs) }
    }

    private func restart(at frame: FrameTime) {
        position = frame
        for i in history.indices { history[i] = 0 }
        onsetDetector = SpectralFluxOnsetDetector(
            binCount: onsetSpectrum.size / 2 + 1, fftSize: onsetSpectrum.size, sampleRate: sampleRate,
            settings: settings.onset)
        samplesInHop = 0
        hopEnergy = 0
        previousOnset = nil
        previousF0 = nil
        previousInterOnsetSeconds = 0
    }

    private func endOfHop(into outputs: inout [ListenerOutput]) {
        let level = 10 * Double.log10(hopEnergy / Double(hopFrames) + 1e-12)
        levelDB = level
        hopEnergy = 0
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
        eventFill = 0
        var source = position - FrameTime(available)
        while source < position && eventFill < eventBuffer.count {
            eventBuffer[eventFill] = history[Int(source & FrameTime(historyMask))]
            eventFill += 1
            source += 1
        }
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
        let confidence = pitchScratch.isEmpty ? 0 : confidenceSum / Double(pitchScratch.count)
        let f0 = midi.map { PitchMath.hertz(midiPitch: $0) }

        // Chroma and centroid from the spectrum just after the attack.
        let start = min(attackSkipFrames, eventFill)
        eventBuffer.withUnsafeBufferPointer { buffer in
            chromaSpectrum.analyse(UnsafeBufferPointer(rebasing: buffer[start..<eventFill]))
        }
        let chroma = chromaExtractor.chroma(
            magnitudes: chromaSpectrum.magnitudes, fftSize: chromaSpectrum.size, sampleRate: sampleRate)
        let centroid = chromaSpectrum.centroid()

        let interOnsetSeconds = Double(eventInterOnset) / sampleRate
        let pitches = midi.map { [$0] } ?? []
        let features = EventFeatureLayout.features(
            EventFeatureLayout.Inputs(
                chroma: chroma, pitches: pitches, f0: f0, previousF0: previousF0, confidence: confidence,
                centroid: centroid, levelDB: eventAttackPeakDB, interOnset: interOnsetSeconds,
                previousInterOnset: previousInterOnsetSeconds))
        let velocity = UInt8(max(1, min(127, (127 * (eventAttackPeakDB + 60) / 57).rounded())))
        let event = MusicalEvent(
            onsetFrame: eventOnset, offsetFrame: max(offset, eventOnset + 1), midiPitch: midi, f0Hz: f0,
            pitchConfidence: confidence, pitches: midi.map { [Int($0.rounded())] } ?? [], velocity: velocity,
            levelDB: eventAttackPeakDB, interOnsetFrames: eventInterOnset, centroidHz: centroid,
            features: features)
        outputs.append(.event(event))
        if let f0 { previousF0 = f0 }
        if eventInterOnset > 0 { previousInterOnsetSeconds = interOnsetSeconds }
    }
}
