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
    /// Levels of the last 32 hops (160 ms), newest at `recentLevelIndex - 1` (a ring).
    private var recentLevels = [Double](repeating: -120, count: 32)
    private var recentLevelIndex = 0
    /// Onset detection function of the last 32 hops (160 ms), newest at `recentODFIndex - 1` (a ring).
    private var recentODF = [Double](repeating: 0, count: 32)
    private var recentODFIndex = 0

    // Frame counts derived from the settings.
    private let onsetCompensationFrames: FrameTime
    private let minimumGapHops: Int
    private let backtrackHops: Int
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
    /// The event's pitch estimates, the frames of the event each one stands for (since the one before), and the stream
    /// frame each was made at.
    private var pitchEstimates: [(estimate: PitchEstimate, weight: Int, frame: FrameTime)] = []
    private var lastPitchAt = 0
    /// The previous confident estimate of the event and when it was made: a note change needs two in a row.
    private var changeCandidate: (pitch: Double, frame: FrameTime)?
    /// The notes in the event's spectrum after the attack, once that is complete (nil before): a chord's voices
    /// move the pitch estimate from one to another without any new note.
    private var attackNotes: [Int]?
    private var pitchScratch: [(midi: Double, weight: Int)] = []
    /// Estimates moved from an event to the legato note that ends it.
    private var carriedEstimates: [(estimate: PitchEstimate, weight: Int, frame: FrameTime)] = []
    private var pitchSamples: [Float]

    // Context carried from event to event.
    private var previousOnset: FrameTime?
    private var previousInterOnsetSeconds = 0.0
    private var previousF0: Double?
    /// Pitch of the last event (fractional MIDI), if it had one.
    private var previousEventPitch: Double?

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
        attackSkipFrames = Int(settings.attackSkipSeconds * sampleRate)
        // A whole number of hops, so estimates through a sustain are exactly one interval apart.
        let pitchIntervalHops = max(1, Int((settings.pitchIntervalSeconds * sampleRate / Double(hopFrames)).rounded()))
        pitchIntervalFrames = pitchIntervalHops * hopFrames
        pitchEstimator = YINPitchEstimator(
            sampleRate: sampleRate, minimumFrequency: settings.minimumF0, maximumFrequency: settings.maximumF0,
            capacity: pitchCapacity, halfLength: pitchIntervalFrames, fftProvider: fftProvider)
        let eventCapacity = attackSkipFrames + max(chromaSize, pitchCapacity + pitchIntervalFrames * 8)
        eventBuffer = [Float](repeating: 0, count: eventCapacity)
        let historySize = Self.powerOfTwo(atLeast: max(onsetSize * 4, eventCapacity))
        history = [Float](repeating: 0, count: historySize)
        historyMask = historySize - 1
        // The flux peak of a sharp onset comes about a third of a window after it enters the window.
        onsetCompensationFrames = FrameTime(Double(onsetSize) * 0.3)
        minimumGapHops = max(1, Int((settings.minimumInterOnsetSeconds * sampleRate / Double(hopFrames)).rounded()))
        backtrackHops = Int((settings.backtrackSeconds * sampleRate / Double(hopFrames)).rounded())
        releaseHops = max(1, Int((settings.releaseSeconds * sampleRate / Double(hopFrames)).rounded()))
        maximumEventFrames = FrameTime(settings.maximumEventSeconds * sampleRate)
        attackFrames = FrameTime(0.1 * sampleRate)
        pitchEstimates.reserveCapacity(settings.maximumPitchEstimates)
        carriedEstimates.reserveCapacity(settings.maximumPitchEstimates)
        pitchSamples = [Float](repeating: 0, count: pitchCapacity)
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
        for i in recentLevels.indices { recentLevels[i] = -120 }
        for i in recentODF.indices { recentODF[i] = 0 }
        samplesInHop = 0
        previousOnset = nil
        previousF0 = nil
        previousEventPitch = nil
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
        recentLevels[recentLevelIndex] = level
        recentLevelIndex = (recentLevelIndex + 1) % recentLevels.count
        let rise = riseOutOfTrough()
        let previousHopWasOnset = onsetDetector.process(
            magnitudes: onsetSpectrum.magnitudes, minimumGapFrames: minimumGapHops,
            vouched: rise.decibels >= settings.vouchingRiseDB)
        recentODF[recentODFIndex] = onsetDetector.lastODF
        recentODFIndex = (recentODFIndex + 1) % recentODF.count
        var isOnset = previousHopWasOnset
        if isOnset && isNoteEnd() {
            onsetDetector.withdrawLastOnset()
            isOnset = false
        }
        if isOnset && max(level, previousLevelDB) > settings.gateDB {
            let detectedAt = position - FrameTime(hopFrames)
            var frame = detectedAt > onsetCompensationFrames ? detectedAt - onsetCompensationFrames : 0
            if rise.decibels >= settings.backtrackRiseDB {
                // A slow attack peaks in flux well after the note began: the note began where the level left its trough.
                let back = FrameTime(troughStart(of: rise) * hopFrames)
                frame = min(frame, position > back ? position - back : 0)
            }
            if eventActive, let last = previousOnset, frame <= last {
                // Its rise began at or before this event's own onset: the same attack, whose flux peaked again as
                // the note swelled after a transient. One note, not a new one.
            } else {
                if let last = previousOnset, frame <= last { frame = last + 1 }
                startEvent(at: frame, levelDB: max(level, previousLevelDB), into: &outputs)
            }
        }
        if eventActive { updateEvent(levelDB: level, into: &outputs) }
        previousLevelDB = level
    }

    /// Level of the hop completed `hopsAgo` hops before the newest (0: the newest).
    private func level(hopsAgo: Int) -> Double {
        let count = recentLevels.count
        return recentLevels[(recentLevelIndex - 1 - hopsAgo + 2 * count) % count]
    }

    /// How far the level of the hop just completed has risen above the quietest hop of the last `backtrackSeconds`,
    /// and how many hops ago the rise out of that trough began (the latest hop within 3 dB of it).
    private func riseOutOfTrough() -> (decibels: Double, troughHopsAgo: Int) {
        let span = min(recentLevels.count - 1, max(2, backtrackHops))
        var trough = Double.infinity
        for hop in 1...span { trough = min(trough, level(hopsAgo: hop)) }
        var end = 1
        while end < span && level(hopsAgo: end) > trough + 3 { end += 1 }
        return (level(hopsAgo: 0) - trough, end)
    }

    /// The start of the trough that a rise of `rise.decibels` left `rise.troughHopsAgo` hops ago, in hops ago: an
    /// earlier dip as deep, with a blip 4 to 15 dB high between the two (a sung note's onset before its vowel
    /// swells), is where the note began.
    private func troughStart(of rise: (decibels: Double, troughHopsAgo: Int)) -> Int {
        let span = min(recentLevels.count - 1, max(2, backtrackHops))
        let trough = level(hopsAgo: 0) - rise.decibels
        var first = rise.troughHopsAgo
        var highest = -Double.infinity
        for hop in stride(from: rise.troughHopsAgo + 1, through: span, by: 1) {
            let value = level(hopsAgo: hop)
            if value <= trough + 1 && highest >= trough + 4 { first = hop }
            highest = max(highest, value)
            if highest > trough + 15 { break }
        }
        return first
    }

    /// Whether the flux peak of the previous hop is a note's end: the level of the hop just completed and the one
    /// before is far below the four hops before those, and not rising out of a trough.
    private func isNoteEnd() -> Bool {
        let now = max(level(hopsAgo: 0), level(hopsAgo: 1))
        var before = -120.0
        for hop in 2..<6 { before = max(before, level(hopsAgo: hop)) }
        let trough = min(level(hopsAgo: 1), level(hopsAgo: 2))
        return now < before - settings.offsetDropDB && level(hopsAgo: 0) < trough + 3
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
        lastPitchAt = 0
        changeCandidate = nil
        attackNotes = nil
        currentPitch = nil
        // Samples between the onset and now are already in the history: copy them into the event buffer.
        let available = Int(min(position - frame, FrameTime(history.count)))
        let count = min(available, eventBuffer.count)
        eventBuffer.withUnsafeMutableBufferPointer { eventBuffer in
            copyHistory(count, from: position - FrameTime(available), into: eventBuffer.baseAddress!)
        }
        eventFill = count
    }

    /// Copies `count` samples of the history from `frame` on into `target`, in at most two runs (the ring wraps
    /// once at most).
    private func copyHistory(_ count: Int, from frame: FrameTime, into target: UnsafeMutablePointer<Float>) {
        let start = Int(frame & FrameTime(historyMask))
        history.withUnsafeBufferPointer { history in
            let firstRun = min(count, history.count - start)
            target.update(from: history.baseAddress! + start, count: firstRun)
            (target + firstRun).update(from: history.baseAddress!, count: count - firstRun)
        }
    }

    /// Whether `pitch`, after an earlier estimate that agrees with it, has left the event's pitch so far (the median
    /// of its earlier confident estimates) by `legatoSemitones`: returns the frame of the first estimate that no
    /// longer heard the event's pitch (`departure`) and of the first that heard the new one (`arrival`).
    private func noteChange(to pitch: Double, levelDB level: Double) -> (departure: FrameTime, arrival: FrameTime)? {
        defer { changeCandidate = (pitch, position) }
        // In a decaying tail (a piano chord dying away) the estimate wanders over the voices and their common
        // periods: no new note starts there without an attack.
        guard settings.legatoSemitones > 0, level > eventPeakDB - 15, let candidate = changeCandidate,
            abs(candidate.pitch - pitch) < settings.legatoSemitones / 2
        else { return nil }
        pitchScratch.removeAll(keepingCapacity: true)
        for (estimate, weight, _) in pitchEstimates.dropLast(2)
        where estimate.confidence >= settings.minimumPitchConfidence {
            pitchScratch.append((estimate.midiPitch, weight))
        }
        guard pitchScratch.count >= 2 else { return nil }
        pitchScratch.sort { $0.midi < $1.midi }
        let established = pitchScratch[pitchScratch.count / 2].midi
        guard abs(candidate.pitch - established) >= settings.legatoSemitones,
            abs(pitch - established) >= settings.legatoSemitones,
            !(attackNotes?.contains(Int(pitch.rounded())) ?? false)
        else { return nil }
        let young = position - eventOnset < FrameTime(0.25 * sampleRate)
        if young && Self.isSubharmonic(pitch, of: established) { return nil }  // YIN's octave error, not a new note
        if young,
            Self.isSubharmonic(established, of: pitch)
                || previousEventPitch.map({ abs($0 - established) < 0.5 }) ?? false
        {
            // Early in the event, what it heard so far was the previous note still ringing over a slow attack, or
            // the long common period of both notes sounding together: its pitch is the one just heard.
            pitchEstimates.removeFirst(pitchEstimates.count - min(2, pitchEstimates.count))
            return nil
        }
        // Estimates just before the candidate that already heard the new pitch, if less confidently (a bow change, a
        // slur), are the new note's; before those, the ones that heard neither pitch confidently (a slow attack, a
        // bow change) are where the change happened.
        var arrival = candidate.frame
        var departure = candidate.frame
        var arrived = true
        for entry in pitchEstimates.reversed() where entry.frame < candidate.frame {
            if arrived && abs(entry.estimate.midiPitch - candidate.pitch) < 0.5 {
                arrival = entry.frame
                departure = entry.frame
                continue
            }
            arrived = false
            let heardEstablished =
                entry.estimate.confidence >= settings.minimumPitchConfidence
                && abs(entry.estimate.midiPitch - established) < 0.5
            if heardEstablished { break }
            departure = entry.frame
        }
        return (departure, arrival)
    }

    /// The onset time of the strongest spectral change (ODF peak) from 60 ms before `frame` to 20 ms after it:
    /// a legato note change still moves the spectrum (a bow change, a slur), if not enough for an onset by itself.
    private func strongestChange(near frame: FrameTime) -> FrameTime {
        let count = recentODF.count
        let newest = position  // the window of the newest ODF value ends here
        var best = frame
        var bestValue = -1.0
        for hopsAgo in 0..<count {
            // Near the start of the stream the ring reaches back before frame 0.
            guard FrameTime(hopsAgo * hopFrames) + onsetCompensationFrames < newest else { break }
            let end = newest - FrameTime(hopsAgo * hopFrames)
            let time = end - onsetCompensationFrames
            guard time + FrameTime(0.06 * sampleRate) >= frame, time <= frame + FrameTime(0.02 * sampleRate) else {
                continue
            }
            let value = recentODF[(recentODFIndex - 1 - hopsAgo + count) % count]
            if value > bestValue {
                bestValue = value
                best = time
            }
        }
        return best
    }

    /// Whether the event's last two estimates are confident and agree: its pitch is settled, and the attack's
    /// remaining full-length estimates (the longest transforms) are not needed.
    private func settledEarly() -> Bool {
        guard pitchEstimates.count >= 2 else { return false }
        let (a, b) = (
            pitchEstimates[pitchEstimates.count - 1].estimate, pitchEstimates[pitchEstimates.count - 2].estimate
        )
        return a.confidence >= settings.minimumPitchConfidence && b.confidence >= settings.minimumPitchConfidence
            && abs(a.midiPitch - b.midiPitch) < 0.5
    }

    /// Whether `low` lies an integer number (2 to 12) of times below `pitch` in frequency, within about 3 %.
    private static func isSubharmonic(_ low: Double, of pitch: Double) -> Bool {
        let ratio = PitchMath.hertz(midiPitch: pitch) / PitchMath.hertz(midiPitch: low)
        let multiple = ratio.rounded()
        return multiple >= 2 && multiple <= 12 && abs(ratio - multiple) < 0.03 * multiple
    }

    private func updateEvent(levelDB level: Double, into outputs: inout [ListenerOutput]) {
        eventPeakDB = max(eventPeakDB, level)
        if position - eventOnset <= attackFrames { eventAttackPeakDB = max(eventAttackPeakDB, level) }

        if attackNotes == nil, eventFill >= attackSkipFrames + chromaSpectrum.size {
            eventBuffer.withUnsafeBufferPointer { buffer in
                chromaSpectrum.analyse(UnsafeBufferPointer(rebasing: buffer[attackSkipFrames..<eventFill]))
            }
            attackNotes = polyphonicEstimator.estimate(
                magnitudes: chromaSpectrum.magnitudes, fftSize: chromaSpectrum.size, sampleRate: sampleRate)
        }

        // Pitch every `pitchIntervalSeconds` through the whole event: a slow attack or the previous note still
        // ringing must not decide the event's pitch, and a new pitch without a new attack (legato) is a new note.
        let heard = Int(position - eventOnset)
        let usable = heard - attackSkipFrames
        if usable >= Int(0.02 * sampleRate), heard - lastPitchAt >= pitchIntervalFrames {
            let weight = heard - max(lastPitchAt, attackSkipFrames)
            lastPitchAt = heard
            var count = min(usable, pitchSamples.count)
            let half = pitchEstimator.halfLength
            // An input of exactly two intervals is estimated in halves anyway (the same estimate), so the next one can
            // reuse its second half.
            var inHalves = half > 0 && count == 2 * half
            if pitchEstimates.count >= settings.earlyPitchEstimates || settledEarly(),
                let pitch = currentPitch, half > 0,
                2.5 * sampleRate / PitchMath.hertz(midiPitch: pitch) <= Double(half), count >= 2 * half
            {
                // Through the sustain of a note above about 125 Hz, two intervals of input (one of window, one of
                // lags) still hold lags down to well below it: a change to a note far lower shows as this one's
                // loss. Each estimate's second half is the next one's first, so its transform is reused.
                count = 2 * half
                inHalves = true
            }
            let first = position - FrameTime(count)
            pitchSamples.withUnsafeMutableBufferPointer { samples in
                copyHistory(count, from: first, into: samples.baseAddress!)
            }
            let estimate = pitchSamples.withUnsafeBufferPointer { samples in
                let input = UnsafeBufferPointer(rebasing: samples[0..<count])
                return inHalves
                    ? pitchEstimator.estimate(halves: input, firstFrame: first) : pitchEstimator.estimate(input)
            }
            if let estimate, pitchEstimates.count < settings.maximumPitchEstimates {
                pitchEstimates.append((estimate, weight, position))
            }
            if let estimate, estimate.confidence >= settings.minimumPitchConfidence {
                currentPitch = estimate.midiPitch
                if let change = noteChange(to: estimate.midiPitch, levelDB: level) {
                    // YIN's integration window is the oldest part of what it reads: the first estimate that heard
                    // the new note read it about half a window after the start of its input, give or take an interval.
                    let window = count - min(pitchEstimator.maximumLag, count / 2)
                    let lead = count - window / 2 + pitchIntervalFrames / 2
                    func heard(_ frame: FrameTime) -> FrameTime {
                        max(eventOnset + 1, frame - FrameTime(min(lead, Int(frame))))
                    }
                    let gapEnd = eventOnset + FrameTime(minimumGapHops * hopFrames)
                    if max(eventOnset + 1, strongestChange(near: heard(change.arrival))) < gapEnd {
                        // An onset and a pitch change this close are one note: what the event heard before the
                        // change was the previous note still ringing.
                        pitchEstimates.removeAll { $0.frame < change.arrival }
                        currentPitch = estimate.midiPitch
                        return
                    }
                    // Somewhere between the estimates that left the old pitch and those that reached the new one
                    // (a slow bowed attack): halfway. Measured on rendered cello, horn, voice and flute, neither end
                    // is better on all of them.
                    let frame = max(gapEnd, strongestChange(near: heard((change.departure + change.arrival) / 2)))
                    // The estimates that heard the new pitch belong to the new note, not the one it ends.
                    carriedEstimates.removeAll(keepingCapacity: true)
                    while let last = pitchEstimates.last, last.frame >= change.arrival {
                        carriedEstimates.append(pitchEstimates.removeLast())
                    }
                    onsetDetector.holdOff()
                    startEvent(at: frame, levelDB: level, into: &outputs)
                    pitchEstimates.append(contentsOf: carriedEstimates.reversed())
                    lastPitchAt = Int(position - frame)
                    currentPitch = estimate.midiPitch
                    return
                }
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

        // Pitch: the median of the confident estimates weighted by the stretch of the event each stands for, so
        // the pitch heard longest wins.
        pitchScratch.removeAll(keepingCapacity: true)
        var confidenceSum = 0.0
        var totalWeight = 0
        for (estimate, weight, _) in pitchEstimates where estimate.confidence >= settings.minimumPitchConfidence {
            pitchScratch.append((estimate.midiPitch, weight))
            confidenceSum += estimate.confidence
            totalWeight += weight
        }
        pitchScratch.sort { $0.midi < $1.midi }
        var midi: Double?
        var accumulated = 0
        for (pitch, weight) in pitchScratch {
            accumulated += weight
            if 2 * accumulated >= totalWeight {
                midi = pitch
                break
            }
        }
        var confidence = pitchScratch.isEmpty ? 0 : confidenceSum / Double(pitchScratch.count)

        // Chroma, centroid and the polyphonic pitch set from the spectrum just after the attack. Once the event
        // held a whole window after its attack, that spectrum and its notes were taken already (`attackNotes`).
        var notes: [Int]
        let heardWholeAttack = attackNotes != nil
        if let attackNotes {
            notes = attackNotes
        } else {
            let start = min(attackSkipFrames, eventFill)
            eventBuffer.withUnsafeBufferPointer { buffer in
                chromaSpectrum.analyse(UnsafeBufferPointer(rebasing: buffer[start..<eventFill]))
            }
            notes = polyphonicEstimator.estimate(
                magnitudes: chromaSpectrum.magnitudes, fftSize: chromaSpectrum.size, sampleRate: sampleRate)
        }
        let chroma = chromaExtractor.chroma(
            magnitudes: chromaSpectrum.magnitudes, fftSize: chromaSpectrum.size, sampleRate: sampleRate)
        let centroid = chromaSpectrum.centroid()
        if let yinNote = midi.map({ Int($0.rounded()) }), notes.count <= 1 {
            notes = [yinNote]  // monophonic: YIN's estimate is the finer one
        } else if let top = notes.last, notes.count >= 2, midi.map({ !notes.contains(Int($0.rounded())) }) ?? true,
            heardWholeAttack || midi == nil || previousEventPitch.map({ Int($0.rounded()) != top }) ?? true
        {
            // A chord: YIN locks onto the common period, below every voice. The top voice carries the melody. (Not
            // in an event too short for a whole window whose top voice is the previous note's pitch: that is the
            // previous note still ringing, and YIN heard this one.)
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
        previousEventPitch = midi
        if eventInterOnset > 0 { previousInterOnsetSeconds = interOnsetSeconds }
    }
}
