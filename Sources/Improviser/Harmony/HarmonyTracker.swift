public import MusicHalCore
import RealModule

/// A harmonic estimate (a key or a chord) with how sure the tracker is of it.
public struct HarmonyEstimate<Label: Sendable & Hashable>: Sendable, Hashable {
    /// What was estimated.
    public var label: Label
    /// Confidence in [0, 1]: how well the heard pitch content fits the template, times how much has been heard
    /// recently (it falls towards 0 through a long silence). An override has confidence 1.
    public var confidence: Double
    /// Frame from which this label has been current.
    public var since: FrameTime
    /// Whether the label was set by a performer (`/hal/chord`) rather than heard.
    public var isOverride: Bool

    /// Creates an estimate.
    public init(label: Label, confidence: Double, since: FrameTime, isOverride: Bool = false) {
        self.label = label
        self.confidence = confidence
        self.since = since
        self.isOverride = isOverride
    }
}

/// Settings of the harmony tracker. Times are in seconds; weights are in the units of `observe`'s `weight`
/// (seconds of sound when the caller passes event durations).
public struct HarmonySettings: Sendable, Hashable {
    /// Half-life of the key's chroma memory: keys change over phrases, not beats.
    public var keyHalfLife = 12.0
    /// Half-life of the chord's chroma memory: about a bar at moderate tempo.
    public var chordHalfLife = 1.0
    /// Correlation by which a new key must beat the current one to replace it.
    public var keyMargin = 0.05
    /// Template fit (cosine) by which a new chord must beat the current one to replace it.
    public var chordMargin = 0.05
    /// How long a new key must keep winning by the margin before it replaces the current one.
    public var keyHold = 3.0
    /// How long a new chord must keep winning by the margin: longer than a passing chord or an accented
    /// neighbour, about a beat at 120 bpm.
    public var chordHold = 0.5
    /// Recent weight at which the key's confidence is no longer reduced for lack of evidence.
    public var keyFullEvidence = 4.0
    /// Recent weight at which the chord's confidence is no longer reduced for lack of evidence.
    public var chordFullEvidence = 0.5
    /// Recent weight below which no key is proposed at all.
    public var keyMinimumEvidence = 1.0
    /// Recent weight below which no chord is proposed at all.
    public var chordMinimumEvidence = 0.1
    /// Smallest key-profile correlation that names a key.
    public var minimumKeyCorrelation = 0.5
    /// Smallest template fit that names a chord: a lone note (fit 0.58 with any triad holding it) names none.
    public var minimumChordFit = 0.7
    /// Added to a chord's fit in proportion to how much of the recent bass was its root, so `C6` over C beats
    /// `Am7` (same notes) and inversions are named by their root.
    public var bassBonus = 0.1

    /// Default settings.
    public init() {}
}

/// Follows the key and the chord of what the musician plays, from per-event chroma.
///
/// Each event adds its chroma (normalized to unit sum, times its weight) to two exponentially decaying
/// histograms: a long one for the key and a short one for the chord.
/// - Key: Pearson correlation of the key histogram with the 24 Krumhansl–Kessler probe-tone profiles (the
///   Krumhansl–Schmuckler algorithm, as `MusicalKey.estimate`).
/// - Chord: cosine similarity of the chord histogram with binary templates (1 on each chord tone) of every
///   `ChordQuality.recognizable` quality on every root, plus `bassBonus` × the share of the recent bass on the
///   root. Equal fits go to the earlier quality in `recognizable`, then the lower root.
/// - Hysteresis: a new label replaces the current one only when it beats the current label's score by the
///   margin continuously for the hold time, so a passing note does not flip the chord.
/// - Override: a performer's chord wins until it expires or is cleared; the heard estimate keeps being
///   tracked underneath and returns afterwards.
///
/// Pure and allocation-free after creation; time is the stream's frame clock.
public struct HarmonyTracker: Sendable {
    /// Sample rate of the frame clock.
    public let sampleRate: Double
    /// The settings in force.
    public let settings: HarmonySettings

    /// The latest frame the tracker has seen (from `observe` or `advance`).
    public private(set) var now: FrameTime = 0

    private var keyHistogram = [Double](repeating: 0, count: 12)
    private var chordHistogram = [Double](repeating: 0, count: 12)
    private var bassHistogram = [Double](repeating: 0, count: 12)
    private var keyWeight = 0.0
    private var chordWeight = 0.0
    private var lastUpdate: FrameTime?
    private var keyChoice = HysteresisChoice<MusicalKey>()
    private var chordChoice = HysteresisChoice<ChordName>()
    private var overrideChord: ChordName?
    private var overrideSince: FrameTime = 0
    private var overrideUntil: FrameTime = 0

    private let keyHalfLifeFrames: Double
    private let chordHalfLifeFrames: Double
    private let keyHoldFrames: FrameTime
    private let chordHoldFrames: FrameTime

    /// The recognizable chords in preference order (quality outer, root inner), built once.
    private static let chordTemplates: [ChordName] = ChordQuality.recognizable.flatMap { quality in
        (0..<12).map { ChordName(root: $0, quality: quality) }
    }

    /// Mean-centred Krumhansl–Kessler profiles and their norms (a rotation keeps both).
    private static let centredProfiles: [(profile: [Double], norm: Double)] = [
        MusicalKey.majorProfile, MusicalKey.minorProfile,
    ].map { profile in
        let mean = profile.reduce(0, +) / 12
        let centred = profile.map { $0 - mean }
        return (centred, centred.reduce(0) { $0 + $1 * $1 }.squareRoot())
    }

    /// Creates a tracker on a frame clock of `sampleRate`.
    public init(sampleRate: Double, settings: HarmonySettings = HarmonySettings()) {
        precondition(sampleRate.isFinite && sampleRate > 0, "sample rate must be positive")
        self.sampleRate = sampleRate
        self.settings = settings
        keyHalfLifeFrames = max(1, settings.keyHalfLife * sampleRate)
        chordHalfLifeFrames = max(1, settings.chordHalfLife * sampleRate)
        keyHoldFrames = FrameTime(max(0, settings.keyHold * sampleRate).rounded())
        chordHoldFrames = FrameTime(max(0, settings.chordHold * sampleRate).rounded())
    }

    // MARK: Hearing

    /// Adds one event's chroma (12 values, index 0 = C, any non-negative scale) heard at `frame`.
    ///
    /// - Parameters:
    ///   - chroma: the event's pitch-class profile, e.g. `event.features.values[EventFeatureLayout.chroma]`.
    ///   - bass: the pitch class (or MIDI note) of the event's lowest note, when known; it helps name the root.
    ///   - frame: the event's onset on the stream clock.
    ///   - weight: how much the event counts, e.g. its duration in seconds; zero, negative or non-finite
    ///     weights, and silent chroma, add nothing (time still advances).
    public mutating func observe<C: Collection>(chroma: C, bass: Int? = nil, at frame: FrameTime, weight: Double)
    where C.Element: BinaryFloatingPoint {
        decay(to: frame)
        var total = 0.0
        for value in chroma.prefix(12) where value > 0 { total += Double(value) }
        guard total > 0, total.isFinite, weight > 0, weight.isFinite else {
            confirmPendingChanges()
            return
        }
        var pitchClass = 0
        for value in chroma.prefix(12) {
            if value > 0 { add(Double(value) / total * weight, to: pitchClass) }
            pitchClass += 1
        }
        added(weight: weight, bass: bass)
    }

    /// Adds an event given as sounding notes (MIDI numbers), e.g. from a MIDI keyboard: each pitch class counts
    /// equally and the lowest note is the bass.
    public mutating func observe(pitches: [Int], at frame: FrameTime, weight: Double) {
        decay(to: frame)
        let classes = PitchClassSet(pitches)
        guard !classes.isEmpty, weight > 0, weight.isFinite else {
            confirmPendingChanges()
            return
        }
        for pitchClass in classes { add(weight / Double(classes.count), to: pitchClass) }
        added(weight: weight, bass: pitches.min())
    }

    /// Moves the clock to `frame` without hearing anything: a change whose hold time has passed takes effect,
    /// confidence falls with the evidence, and an expired override ends. Cheap enough for every audio block:
    /// decay scales every histogram bin alike, so no score changes and nothing is re-estimated.
    public mutating func advance(to frame: FrameTime) {
        decay(to: frame)
        confirmPendingChanges()
    }

    // MARK: Override

    /// Sets the chord to `chord` until `frame` (exclusive), whatever is heard.
    public mutating func override(_ chord: ChordName, until frame: FrameTime) {
        overrideChord = chord
        overrideSince = now
        overrideUntil = frame
    }

    /// Sets the chord to `chord` for `durationFrames` from `start` (e.g. 30 s of frames from now).
    public mutating func override(_ chord: ChordName, from start: FrameTime, durationFrames: FrameTime) {
        override(chord, until: start &+ durationFrames)
        overrideSince = start
    }

    /// Ends the override at once; the heard chord applies again.
    public mutating func clearOverride() { overrideChord = nil }

    /// Whether a performer's chord is in force at `now`.
    public var isOverridden: Bool { overrideChord != nil && now < overrideUntil }

    /// Frame at which the override ends, if one is in force.
    public var overrideEnd: FrameTime? { isOverridden ? overrideUntil : nil }

    // MARK: Estimates

    /// The current key, or nil before enough has been heard.
    public var key: HarmonyEstimate<MusicalKey>? {
        guard let label = keyChoice.current else { return nil }
        let fit = keyScore(label)
        return HarmonyEstimate(
            label: label, confidence: Self.unit(fit) * evidence(keyWeight, full: settings.keyFullEvidence),
            since: keyChoice.currentSince)
    }

    /// The current chord: the override while one is in force, else the heard chord (nil before any).
    public var chord: HarmonyEstimate<ChordName>? {
        if let overrideChord, now < overrideUntil {
            return HarmonyEstimate(label: overrideChord, confidence: 1, since: overrideSince, isOverride: true)
        }
        return heardChord
    }

    /// The heard chord after hysteresis, ignoring any override.
    public var heardChord: HarmonyEstimate<ChordName>? {
        guard let label = chordChoice.current else { return nil }
        return HarmonyEstimate(
            label: label,
            confidence: Self.unit(chordScore(label)) * evidence(chordWeight, full: settings.chordFullEvidence),
            since: chordChoice.currentSince)
    }

    /// The best-fitting chord template at this moment, before hysteresis (what the tracker would say if it
    /// had no memory of its last answer); nil with too little evidence.
    public var instantChord: HarmonyEstimate<ChordName>? {
        guard chordWeight >= settings.chordMinimumEvidence, let (label, score) = bestChord() else { return nil }
        return HarmonyEstimate(
            label: label, confidence: Self.unit(score) * evidence(chordWeight, full: settings.chordFullEvidence),
            since: now)
    }

    /// The key's name for the status stream (`D minor`), or nil.
    public var keyName: String? { key?.label.description }

    /// The chord's name for the status stream (`Dm7`), or nil.
    public var chordName: String? { chord?.label.description }

    /// The snapper for a mode's snapping option: the current chord's tones, the current key's scale, or nil when
    /// snapping is off or nothing is known yet.
    public func snapper(for target: SnapTarget) -> ScaleSnapper? {
        switch target {
        case .off: nil
        case .chord: chord.map { ScaleSnapper($0.label.pitchClasses) }
        case .scale: key.map { ScaleSnapper(PitchClassSet($0.label.scale)) }
        }
    }

    // MARK: Internals

    private mutating func confirmPendingChanges() {
        keyChoice.confirm(at: now, hold: keyHoldFrames)
        chordChoice.confirm(at: now, hold: chordHoldFrames)
    }

    private mutating func add(_ amount: Double, to pitchClass: Int) {
        keyHistogram[pitchClass] += amount
        chordHistogram[pitchClass] += amount
    }

    private mutating func added(weight: Double, bass: Int?) {
        keyWeight += weight
        chordWeight += weight
        if let bass { bassHistogram[PitchClassSet.pitchClass(bass)] += weight }
        reestimate()
    }

    private mutating func decay(to frame: FrameTime) {
        guard let last = lastUpdate else {
            lastUpdate = frame
            now = max(now, frame)
            return
        }
        if frame > last {
            let elapsed = Double(frame - last)
            let keyFactor = Double.exp2(-elapsed / keyHalfLifeFrames)
            let chordFactor = Double.exp2(-elapsed / chordHalfLifeFrames)
            for index in 0..<12 {
                keyHistogram[index] *= keyFactor
                chordHistogram[index] *= chordFactor
                bassHistogram[index] *= chordFactor
            }
            keyWeight *= keyFactor
            chordWeight *= chordFactor
            lastUpdate = frame
        }
        now = max(now, frame)
        if overrideChord != nil && now >= overrideUntil { overrideChord = nil }
    }

    private mutating func reestimate() {
        if keyWeight >= settings.keyMinimumEvidence, let (best, score) = bestKey(),
            score >= settings.minimumKeyCorrelation
        {
            let currentScore = keyChoice.current.map(keyScore)
            keyChoice.offer(
                best, score: score, currentScore: currentScore, at: now, margin: settings.keyMargin,
                hold: keyHoldFrames)
        } else {
            keyChoice.withdrawCandidate()
        }
        if chordWeight >= settings.chordMinimumEvidence, let (best, score) = bestChord(),
            score >= settings.minimumChordFit
        {
            let currentScore = chordChoice.current.map(chordScore)
            chordChoice.offer(
                best, score: score, currentScore: currentScore, at: now, margin: settings.chordMargin,
                hold: chordHoldFrames)
        } else {
            chordChoice.withdrawCandidate()
        }
    }

    private func bestKey() -> (MusicalKey, Double)? {
        let statistics = keyStatistics()
        var best: (MusicalKey, Double)?
        for mode in 0..<2 {
            for tonic in 0..<12 {
                let key = MusicalKey(tonic: tonic, isMinor: mode == 1)
                let score = keyScore(key, statistics)
                if best == nil || score > best!.1 + 1e-12 { best = (key, score) }
            }
        }
        return best
    }

    private func keyStatistics() -> (mean: Double, deviation: Double) {
        let mean = keyHistogram.reduce(0, +) / 12
        var variance = 0.0
        for value in keyHistogram { variance += (value - mean) * (value - mean) }
        return (mean, variance.squareRoot())
    }

    private func keyScore(_ key: MusicalKey) -> Double { keyScore(key, keyStatistics()) }

    /// Pearson correlation of the key histogram with the key's rotated profile.
    private func keyScore(_ key: MusicalKey, _ statistics: (mean: Double, deviation: Double)) -> Double {
        guard statistics.deviation > 0 else { return 0 }
        let (profile, profileNorm) = Self.centredProfiles[key.isMinor ? 1 : 0]
        var covariance = 0.0
        for index in 0..<12 {
            covariance += (keyHistogram[index] - statistics.mean) * profile[(index - key.tonic + 12) % 12]
        }
        return covariance / (statistics.deviation * profileNorm)
    }

    private func bestChord() -> (ChordName, Double)? {
        let statistics = chordStatistics()
        var best: (ChordName, Double)?
        for chord in Self.chordTemplates {
            let score = chordScore(chord, statistics)
            if best == nil || score > best!.1 + 1e-9 { best = (chord, score) }
        }
        return best
    }

    private func chordStatistics() -> (norm: Double, bassTotal: Double) {
        var norm = 0.0
        for value in chordHistogram { norm += value * value }
        return (norm.squareRoot(), bassHistogram.reduce(0, +))
    }

    private func chordScore(_ chord: ChordName) -> Double { chordScore(chord, chordStatistics()) }

    /// Cosine similarity of the chord histogram with the chord's binary template, plus the bass bonus.
    private func chordScore(_ chord: ChordName, _ statistics: (norm: Double, bassTotal: Double)) -> Double {
        guard statistics.norm > 0 else { return 0 }
        let tones = chord.pitchClasses
        var dot = 0.0
        for pitchClass in tones { dot += chordHistogram[pitchClass] }
        let cosine = dot / (statistics.norm * Double(tones.count).squareRoot())
        let bassShare = statistics.bassTotal > 0 ? bassHistogram[chord.root] / statistics.bassTotal : 0
        return cosine + settings.bassBonus * bassShare
    }

    private func evidence(_ weight: Double, full: Double) -> Double { full > 0 ? min(1, weight / full) : 1 }

    private static func unit(_ value: Double) -> Double { min(1, max(0, value)) }
}

/// The current label and a challenger: the challenger takes over once it has beaten the current label's score
/// by the margin at every look for the hold time.
struct HysteresisChoice<Label: Hashable & Sendable>: Sendable {
    private(set) var current: Label?
    private(set) var currentSince: FrameTime = 0
    private var candidate: Label?
    private var candidateSince: FrameTime = 0

    mutating func offer(
        _ best: Label, score: Double, currentScore: Double?, at frame: FrameTime, margin: Double, hold: FrameTime
    ) {
        guard let currentScore, current != nil else {
            // Nothing to protect: the first estimate is taken at once.
            adopt(best, at: frame)
            return
        }
        guard best != current, score >= currentScore + margin else {
            candidate = nil
            return
        }
        if candidate != best {
            candidate = best
            candidateSince = frame
        }
        if frame - candidateSince >= hold { adopt(best, at: frame) }
    }

    mutating func withdrawCandidate() { candidate = nil }

    /// Adopts a pending challenger whose hold time has passed (scores are unchanged since it was offered).
    mutating func confirm(at frame: FrameTime, hold: FrameTime) {
        if let candidate, frame - candidateSince >= hold { adopt(candidate, at: frame) }
    }

    private mutating func adopt(_ label: Label, at frame: FrameTime) {
        current = label
        currentSince = frame
        candidate = nil
    }
}
