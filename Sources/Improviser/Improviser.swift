import AudioFeatures
public import ModelFormat
public import MusicHalCore
import OracleCore
import RealModule

/// The agent: it follows the musician in its memory and decides when and what to play, in two voices.
///
/// Pure and deterministic: time is the stream's sample clock passed in, and every random choice comes from
/// generators seeded at creation, so the same input and seed give the same answer.
///
/// How the modes reach generation:
/// - `imitate` continues the memory from where the input was matched (the tracked oracle state), in the
///   input's register, with the corpus rhythm.
/// - `contrast` starts where the memory is least like the input's recent pitch-class content, prefers pitch
///   classes the musician is not using, sits in the other half of the register, and inverts the density
///   (sparse against busy playing, busy against sparse).
/// - `imitate` plays only pitch classes heard in the last ten seconds (once six notes are heard), weighted by
///   how often the musician used them.
/// - `lead` continues its own previous line with high continuity, transposed so its pitch content matches the
///   input's and kept inside the diatonic scale of the key heard in the input.
/// - `listen` tracks and learns, plays nothing.
/// - `auto` holds one of imitate, lead and contrast for 15 to 45 s, chosen with weights 0.5, 0.3 and 0.2, then
///   chooses again (never the same twice in a row).
///
/// Turn-taking: an input pause of `0.25 + give_space` seconds is a gap, answered once with probability
/// `density`; while the musician plays, phrases start at a rate of `density × (1 − give_space) × 0.5` per
/// second; after three seconds of silence the agent plays on its own at `initiative × 0.4` phrases per second.
/// With `give_space` 0 and `density` 1 the agent answers every onset immediately. Whatever the parameters, no
/// more than `2 + 10 × density` notes start in any second (the density ceiling).
///
/// Neural tokens: when the model has a vocabulary and live tokens arrive (`neuralTokensLive`), the input is also
/// followed through a symbolic factor oracle over the corpus tokens, and `imitate` starts from that match. In
/// `imitate` the token is a constraint like the pitch class: once the musician's tokens of the last ten seconds
/// cover at least 16 corpus events, only those events are candidates (weighted by how much each token was used);
/// `contrast` weights candidates against the musician's tokens. When tokens stop (the encoder is degraded),
/// everything falls back to the traditional features.
///
/// Harmony: the input's chroma feeds a key and chord tracker (with hysteresis; `/hal/chord` overrides the chord).
/// Each mode may snap its notes to the current chord or scale (`snapTargets`; by default only `lead` snaps, to
/// the scale). Motifs: the agent remembers its own melody phrases and, every 30-60 s when `initiative` lets it,
/// recalls one varied (transposed, inverted, augmented or diminished) instead of a new phrase. Arc: a
/// performance arc scales density, initiative and velocity over a set duration, and is silent after its end.
public struct Improviser: Sendable {
    /// Sample rate of the stream clock the agent works on.
    public let sampleRate: Double
    /// Musical parameters.
    public var parameters: AgentParameters
    /// The mode asked for (possibly `auto`).
    public var mode: ImproviserMode {
        didSet { if mode != oldValue { autoUntil = 0 } }
    }
    /// The mode actually playing: `mode`, or the one `auto` chose.
    public private(set) var activeMode: ImproviserMode
    /// Whether heard events are added to the memory.
    public var isLearning = false
    /// The memory, if a model is loaded.
    public private(set) var model: MusicHalModel?
    /// Where the musician currently is in the memory (an oracle state), if known.
    public private(set) var trackedState: Int?
    /// The key of the recent input, when there is enough of it.
    public private(set) var inputKey: MusicalKey?
    /// Where the musician is in the memory by neural tokens, if known.
    public private(set) var tokenTrackedState: Int?
    /// The key and chord of the input (or the performer's override).
    public private(set) var harmony: HarmonyTracker
    /// Per mode, what its notes snap to.
    public var snapTargets: [ImproviserMode: SnapTarget] = Improviser.defaultSnapTargets
    /// Snapping unless configured otherwise: lead keeps the input's key; imitate and contrast play what they find.
    public static let defaultSnapTargets: [ImproviserMode: SnapTarget] = [
        .imitate: .off, .lead: .scale, .contrast: .off,
    ]
    /// The agent's own phrases, recalled as varied motifs.
    public private(set) var motifs: MotifMemory
    /// The performance arc, when one is running.
    public private(set) var arc: PerformanceArc?
    /// Whether live neural tokens are arriving; off, the agent uses the traditional features alone.
    public var neuralTokensLive = false {
        didSet { if !neuralTokensLive { resolvePendingTokens(all: true) } }
    }

    private struct HeardNote: Sendable {
        var frame: FrameTime
        var pitch: Int?
    }

    private struct VoiceState: Sendable {
        var navigator: OracleNavigator
        var state: Int?
        var busyUntil: FrameTime = 0
    }

    private var heard: [HeardNote] = []
    /// Onset of the first input event of the current run the memory matched, and the end of the latest event.
    private var matchRunStart: FrameTime?
    private var lastHeardEnd: FrameTime?
    private var lastOnset: FrameTime?
    private var gapAnswered = true
    private var tracker = OracleTracker()
    private var random: SeededRandomGenerator
    private var melody: VoiceState
    private var bass: VoiceState
    private var recentNoteOns: [FrameTime] = []
    private var nextDecision: FrameTime = 0
    private var autoUntil: FrameTime = 0
    private var corpusHistogram = [Double](repeating: 0, count: 12)
    private var pitchedStates: [Int] = []
    private var modelTimeScale = 1.0
    private var tokenOracle: FactorOracle?
    /// Corpus events per token (kept as tokens are learned).
    private var corpusTokenUsage: [Int] = []
    private var tokenTracker = OracleTracker()
    private var heardTokens: [(frame: FrameTime, token: Int)] = []
    private var latestTokenOnset: FrameTime?
    /// Learned events waiting for their token (live onset, corpus index, token once known; −1 for none).
    private var pendingTokens: [(onset: FrameTime, event: Int, token: Int?)] = []

    /// Weights of the playing modes `auto` chooses from.
    public static let autoWeights: [(ImproviserMode, Double)] = [(.imitate, 0.5), (.lead, 0.3), (.contrast, 0.2)]

    /// Creates an agent on a stream clock of `sampleRate`, with every random choice derived from `seed`.
    public init(
        sampleRate: Double, seed: UInt64, parameters: AgentParameters = AgentParameters(),
        mode: ImproviserMode = .imitate
    ) {
        self.sampleRate = sampleRate
        self.parameters = parameters
        self.mode = mode
        activeMode = mode == .auto ? .imitate : mode
        harmony = HarmonyTracker(sampleRate: sampleRate)
        motifs = MotifMemory(sampleRate: sampleRate)
        melody = VoiceState(navigator: OracleNavigator(seed: seed))
        bass = VoiceState(navigator: OracleNavigator(seed: seed &+ 0x9E37_79B9))
        random = SeededRandomGenerator(seed: seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    // MARK: Memory

    /// Replaces the memory. Tracking restarts; phrases in progress are left to the scheduler.
    public mutating func load(_ model: MusicHalModel?) {
        self.model = model
        tracker = OracleTracker()
        trackedState = nil
        melody.state = nil
        bass.state = nil
        modelTimeScale = model.map { sampleRate / $0.metadata.analysisSampleRate } ?? 1
        pitchedStates = []
        corpusHistogram = [Double](repeating: 0, count: 12)
        tokenTracker = OracleTracker()
        tokenTrackedState = nil
        heardTokens = []
        latestTokenOnset = nil
        pendingTokens = []
        tokenOracle = nil
        corpusTokenUsage = []
        guard let model else { return }
        if let vocabulary = model.vocabulary {
            var oracle = FactorOracle()
            oracle.reserveCapacity(vocabulary.tokens.count)
            oracle.append(contentsOf: vocabulary.tokens.map { Self.symbol(of: $0, vocabularySize: vocabulary.size) })
            tokenOracle = oracle
            corpusTokenUsage = vocabulary.usage
        }
        for (index, event) in model.events.enumerated() {
            guard let note = event.midiNote else { continue }
            pitchedStates.append(index + 1)
            corpusHistogram[PitchMath.pitchClass(note)] += 1
        }
    }

    // MARK: Hearing

    /// Whether the agent answers every onset at once (`give_space` 0 and `density` 1); it then does not also
    /// play along on its own while the musician plays.
    public var answersEveryOnset: Bool { parameters.giveSpace == 0 && parameters.density == 1 }

    /// Hears an onset at `frame`. With `give_space` 0 and `density` 1 the agent answers at once.
    public mutating func hearOnset(at frame: FrameTime) -> [Phrase] {
        lastOnset = frame
        gapAnswered = false
        // Every onset is answered, even over the previous answer's tail: that is what this setting asks for.
        guard answersEveryOnset,
            let phrase = makePhrase(voice: .melody, at: frame, reason: "answers the onset at once (give_space 0)")
        else { return [] }
        return [phrase]
    }

    /// Hears a completed input event at stream frame `now`: tracks it in the memory and learns it when learning
    /// is on. Decisions to play are taken in `tick`.
    public mutating func hear(_ event: MusicalEvent, now: FrameTime) {
        heard.append(HeardNote(frame: event.onsetFrame, pitch: event.midiNote))
        forgetOldInput(now: now)
        updateInputKey()
        if event.features.values.count >= 12 {
            harmony.observe(
                chroma: event.features.values.prefix(12), bass: event.pitches.min().map(PitchMath.pitchClass),
                at: event.onsetFrame, weight: max(0.05, Double(event.durationFrames) / sampleRate))
        }
        guard var memory = model else { return }
        let frame = event.features.values.map(Double.init)
        guard frame.count == memory.oracle.dimension else { return }
        let tracked = tracker.observe(frame, in: memory.oracle)
        trackedState = tracked.state
        lastHeardEnd = event.offsetFrame
        switch tracked.move {
        case .forward, .hold: if matchRunStart == nil { matchRunStart = event.onsetFrame }
        case .suffix, .reentry: matchRunStart = event.onsetFrame
        case .lost: matchRunStart = nil
        case .ignored: break
        }
        if isLearning {
            // The corpus keeps its own clock: store the event in model frames.
            var learned = event
            learned.onsetFrame = FrameTime(Double(event.onsetFrame) / modelTimeScale)
            learned.offsetFrame = FrameTime(Double(event.offsetFrame) / modelTimeScale)
            learned.interOnsetFrames = FrameTime(Double(event.interOnsetFrames) / modelTimeScale)
            if (try? memory.learn([learned])) != nil {
                model = memory
                if learned.midiNote != nil { pitchedStates.append(memory.oracle.inputCount) }
                if let size = memory.vocabulary?.size {
                    if neuralTokensLive {
                        pendingTokens.append((event.onsetFrame, memory.events.count - 1, nil))
                        resolvePendingTokens(all: false)
                    } else {
                        tokenOracle?.append(size)
                    }
                }
            }
        }
    }

    /// Hears the neural token of the input event that began at `onset` (nil when the encoder had none). Tokens
    /// arrive after their events, possibly out of order.
    public mutating func hearToken(_ token: Int?, forEventAt onset: FrameTime) {
        if let index = pendingTokens.firstIndex(where: { $0.onset == onset }) {
            pendingTokens[index].token = token ?? NeuralVocabulary.noToken
            resolvePendingTokens(all: false)
        }
        guard let token, let oracle = tokenOracle, let size = model?.vocabulary?.size, (0..<size).contains(token),
            latestTokenOnset.map({ onset > $0 }) ?? true
        else { return }
        latestTokenOnset = onset
        heardTokens.append((onset, token))
        tokenTrackedState = tokenTracker.observe(symbol: token, in: oracle).state
    }

    /// Writes known tokens of learned events into the memory in corpus order, and extends the token oracle with
    /// them; `all` (or a backlog beyond 64 events) gives up waiting for the rest.
    private mutating func resolvePendingTokens(all: Bool) {
        guard var memory = model, let size = memory.vocabulary?.size else {
            pendingTokens.removeAll()
            return
        }
        var changed = false
        while let first = pendingTokens.first, first.token != nil || all || pendingTokens.count > 64 {
            pendingTokens.removeFirst()
            let token = first.token ?? NeuralVocabulary.noToken
            if token != NeuralVocabulary.noToken, corpusTokenUsage.indices.contains(token) {
                memory.setToken(token, ofEvent: first.event)
                corpusTokenUsage[token] += 1
                changed = true
            }
            tokenOracle?.append(Self.symbol(of: token, vocabularySize: size))
        }
        if changed { model = memory }
    }

    /// The token oracle's symbol for a token: events without one share the extra symbol `vocabularySize`.
    private static func symbol(of token: Int, vocabularySize: Int) -> Int {
        token >= 0 && token < vocabularySize ? token : vocabularySize
    }

    /// Corpus events whose token is one of `tokens`.
    private func coveredEvents(byTokens tokens: Dictionary<Int, Double>.Keys) -> Int {
        tokens.reduce(0) { $0 + (corpusTokenUsage.indices.contains($1) ? corpusTokenUsage[$1] : 0) }
    }

    /// Weight of each token by how much the musician used it in the last ten seconds (1 for the most used).
    private func inputTokenWeights() -> [Int: Double]? {
        guard neuralTokensLive, tokenOracle != nil, !heardTokens.isEmpty else { return nil }
        var counts: [Int: Double] = [:]
        for heard in heardTokens { counts[heard.token, default: 0] += 1 }
        let peak = counts.values.max() ?? 1
        return counts.mapValues { $0 / peak }
    }

    private mutating func forgetOldInput(now: FrameTime) {
        let horizon = FrameTime(10 * sampleRate)
        if now > horizon, let index = heard.firstIndex(where: { $0.frame + horizon >= now }), index > 0 {
            heard.removeFirst(index)
        }
        if now > horizon, let index = heardTokens.firstIndex(where: { $0.frame + horizon >= now }), index > 0 {
            heardTokens.removeFirst(index)
        }
    }

    private mutating func updateInputKey() {
        guard heard.filter({ $0.pitch != nil }).count >= 6 else { return }
        inputKey = MusicalKey.estimate(from: inputHistogram())?.key
    }

    /// Pitch-class histogram of the input heard in the last ten seconds.
    public func inputHistogram() -> [Double] {
        var histogram = [Double](repeating: 0, count: 12)
        for note in heard { if let pitch = note.pitch { histogram[PitchMath.pitchClass(pitch)] += 1 } }
        return histogram
    }

    // MARK: Harmony and the arc

    /// Overrides the heard chord with `chord` from `frame` for `seconds`.
    public mutating func overrideChord(_ chord: ChordName, at frame: FrameTime, seconds: Double) {
        harmony.override(chord, from: frame, durationFrames: FrameTime(max(0, seconds) * sampleRate))
    }

    /// Ends a chord override.
    public mutating func clearChordOverride() { harmony.clearOverride() }

    /// Starts a performance arc of `minutes` at `frame`; `learned` follows the model's loudness contour (from
    /// training) when it has one.
    public mutating func startArc(minutes: Double, at frame: FrameTime, learned: Bool = false)
        throws(MusicianshipError)
    {
        var contour: LoudnessContour?
        if learned, let values = model?.metadata.parameters["loudness_contour_db"] {
            let levels = values.split(separator: ",").compactMap { Double($0) }
            contour = try LoudnessContour(levelsDB: levels)
        }
        arc = try PerformanceArc(startFrame: frame, minutes: minutes, sampleRate: sampleRate, contour: contour)
    }

    /// Stops the arc: the agent plays at its parameters' level again.
    public mutating func stopArc() { arc = nil }

    // MARK: Deciding

    /// Called as the stream advances (every block): takes the turn-taking decisions and returns the phrases to
    /// play from `now`.
    public mutating func tick(now: FrameTime) -> [Phrase] {
        resolveAutoMode(now: now)
        harmony.advance(to: now)
        guard activeMode != .listen, model != nil, !pitchedStates.isEmpty, now >= nextDecision else { return [] }
        let step = 0.05
        nextDecision = now + FrameTime(step * sampleRate)
        // The arc shapes how much the agent does; after its end, it is silent.
        let activity = arc?.activity(at: now) ?? 1
        guard activity > 0 else { return [] }
        let density = parameters.density * activity
        let initiative = parameters.initiative * activity
        let silence = lastOnset.map { Double(now - min(now, $0)) / sampleRate } ?? .infinity
        let gap = 0.25 + parameters.giveSpace
        var phrases: [Phrase] = []
        if now >= melody.busyUntil {
            var reason: String?
            if silence >= gap && silence < 3 && !gapAnswered {
                gapAnswered = true
                if random.nextUnit() < density {
                    reason = "answers in the gap after the musician's phrase (\(format(silence)) s of space)"
                }
            } else if silence < gap && !answersEveryOnset {
                let rate = density * (1 - parameters.giveSpace) * 0.5
                if random.nextUnit() < 1 - Double.exp(-rate * step) {
                    reason = "plays along while the musician plays (give_space \(format(parameters.giveSpace)))"
                }
            } else if silence >= 3 {
                let rate = initiative * 0.4
                if random.nextUnit() < 1 - Double.exp(-rate * step) {
                    reason = "takes the initiative after \(silence.isFinite ? format(silence) + " s of" : "") silence"
                }
            }
            // Motifs are the agent's own ideas: they come back in its own line (lead) or when it plays on its own
            // after silence, never in place of an answer that follows or opposes the musician.
            let mayRecall = activeMode == .lead || silence >= 3
            if let reason,
                let phrase = (mayRecall ? recallMotif(at: now, initiative: initiative, reason: reason) : nil)
                    ?? makePhrase(voice: .melody, at: now, reason: reason)
            {
                phrases.append(phrase)
                if now >= bass.busyUntil, random.nextUnit() < 0.3 + 0.4 * density,
                    let line = makePhrase(voice: .bass, at: now, reason: "supports the melody's phrase from below")
                {
                    phrases.append(line)
                }
            }
        }
        return phrases
    }

    private mutating func resolveAutoMode(now: FrameTime) {
        guard mode == .auto else {
            activeMode = mode
            return
        }
        guard now >= autoUntil else { return }
        let choices = Self.autoWeights.filter { $0.0 != activeMode || autoUntil == 0 }
        let total = choices.reduce(0) { $0 + $1.1 }
        var pick = random.nextUnit() * total
        var chosen = choices[0].0
        for (candidate, weight) in choices {
            if pick < weight {
                chosen = candidate
                break
            }
            pick -= weight
        }
        activeMode = chosen
        autoUntil = now + FrameTime((15 + 30 * random.nextUnit()) * sampleRate)
    }

    /// A varied motif of the agent's own instead of a new phrase, when the motif memory's timing and the
    /// initiative allow it.
    private mutating func recallMotif(at frame: FrameTime, initiative: Double, reason: String) -> Phrase? {
        let register = parameters.register(of: .melody)
        guard let recalled = motifs.recall(at: frame, register: register, initiative: initiative, random: &random)
        else { return nil }
        // A recalled motif keeps to the mode's snapping like any phrase: varied, it may have left the harmony.
        let snapTarget = snapTargets[activeMode == .listen ? .imitate : activeMode] ?? .off
        let snapper = harmony.snapper(for: snapTarget)
        var notes = recalled.notes.map { note in
            var shaped = note
            shaped.velocity = scaledVelocity(note.velocity, at: note.startFrame, alreadyScaled: true)
            if let snapper {
                shaped.pitch = UInt8(snapper.snap(Int(note.pitch), into: register))
                shaped.cents = 0
            }
            return shaped
        }
        notes = applyDensityCeiling(notes)
        guard !notes.isEmpty, let end = notes.map(\.endFrame).max() else { return nil }
        melody.busyUntil = end
        var phrase = Phrase(
            notes: notes, steps: [], voice: .melody, mode: activeMode == .listen ? .imitate : activeMode,
            transposition: recalled.transposition, matchedState: nil,
            reason: "motif: \(recalled.reason), when it \(reason.prefix(1).lowercased() + reason.dropFirst())")
        phrase.constraints = [
            "register \(PitchMath.noteName(register.lowerBound))–\(PitchMath.noteName(register.upperBound))"
        ]
        if snapper != nil { phrase.constraints.append("snapped (\(snapTarget))") }
        if let arc { phrase.constraints.append(arcConstraint(arc, at: frame)) }
        return phrase
    }

    private func arcConstraint(_ arc: PerformanceArc, at frame: FrameTime) -> String {
        let state = arc.state(at: frame)
        return "performance arc: \(state.phase) at \(Int((state.progress * 100).rounded()))%, activity "
            + "\(format(state.activity)), velocity ×\(format(state.velocityScale))"
    }

    // MARK: Making phrases

    /// Builds a phrase for `voice` starting at `frame`, walking the oracle as the active mode asks. Pitches,
    /// velocities, durations and inter-onset intervals come from the corpus events walked (rhythm travels with
    /// pitch); the notes are transposed and placed by octaves into the voice's register.
    public mutating func makePhrase(voice: Voice, at frame: FrameTime, reason: String) -> Phrase? {
        guard let memory = model, memory.oracle.stateCount > 1, !pitchedStates.isEmpty else { return nil }
        let events = memory.events
        let oracle = memory.oracle
        let playing = activeMode == .listen ? ImproviserMode.imitate : activeMode
        let register = parameters.register(of: voice)
        let histogram = inputHistogram()
        let inputMedian = medianInputPitch()

        // Where to start, how to move, and how to shape the result, by mode.
        var navigation = NavigationParameters()
        navigation.temperature = parameters.temperature
        navigation.continuity = parameters.continuity
        var transposition = Int(parameters.transposition)
        var allowedClasses: Set<Int>?
        var classWeight: [Double]?
        var centre = Double(register.lowerBound + register.upperBound) / 2
        var rhythmScale = 1.0
        var start: Int?
        var matched: Int?
        var constraints = [
            "register \(PitchMath.noteName(register.lowerBound))–\(PitchMath.noteName(register.upperBound))"
        ]
        var inputSpan = heard.first.map { first in first.frame...(lastHeardEnd ?? first.frame) }
        var matchedBy = "features"
        let tokenWeights = inputTokenWeights()
        var tokenPreference: ((Double) -> Double?)?
        switch playing {
        case .imitate, .listen, .auto:
            let byTokens = tokenWeights != nil && tokenTrackedState != nil
            let tracked = byTokens ? tokenTrackedState : trackedState
            matched = tracked
            matchedBy = byTokens ? "tokens" : "features"
            if !byTokens, let runStart = matchRunStart, let end = lastHeardEnd, runStart <= end {
                inputSpan = runStart...end
            }
            start = voice == .melody ? tracked : (tracked ?? melody.state)
            if let tokenWeights, coveredEvents(byTokens: tokenWeights.keys) >= 16 {
                tokenPreference = { $0 > 0 ? 0.2 + 0.8 * $0 : nil }
                constraints.append("only neural tokens heard in the last 10 s: \(tokenWeights.keys.sorted())")
            } else if tokenWeights != nil {
                tokenPreference = { 0.2 + 0.8 * $0 }
                constraints.append("neural tokens weighted by the input's use")
            }
            if let inputMedian, voice == .melody { centre = inputMedian }
            // Stay in the musician's harmonic world: once enough is heard, only the pitch classes they use,
            // weighted by how much they use them.
            let peak = histogram.max() ?? 0
            if peak > 0 { classWeight = histogram.map { 0.2 + 0.8 * $0 / peak } }
            if histogram.reduce(0, +) >= 6 { allowedClasses = Set((0..<12).filter { histogram[$0] > 0 }) }
        case .contrast:
            start = leastSimilarState(to: histogram)
            let peak = histogram.max() ?? 0
            if peak > 0 { classWeight = histogram.map { 1 - 0.9 * $0 / peak } }
            let span = Double(register.upperBound - register.lowerBound)
            if let inputMedian, voice == .melody {
                let inUpperHalf = inputMedian > Double(register.lowerBound) + span / 2
                centre = Double(register.lowerBound) + span * (inUpperHalf ? 0.25 : 0.75)
            }
            let density = inputDensity()
            rhythmScale = density > 3 ? 1.8 : (density < 1.5 ? 0.6 : 1)
            tokenPreference = { 1 - 0.8 * $0 }
            if tokenWeights != nil { constraints.append("neural tokens the input uses are avoided") }
        case .lead:
            start = (voice == .melody ? melody.state : bass.state) ?? melody.state
            navigation.continuity = max(parameters.continuity, 0.9)
            if let input = inputKey, let shift = bestTransposition(from: corpusHistogram, to: histogram) {
                transposition += shift
                allowedClasses = input.scale
            }
        }
        if voice == .bass { rhythmScale *= 2 }
        if let allowedClasses {
            let names = allowedClasses.sorted().map { PitchMath.pitchClassName($0) }.joined(separator: " ")
            constraints.append(
                playing == .lead
                    ? "kept in the input's key (\(inputKey.map { "\($0)" } ?? "?")): \(names)"
                    : "only pitch classes heard in the last 10 s: \(names)")
        }
        if classWeight != nil {
            constraints.append(
                playing == .contrast
                    ? "pitch classes the input uses are avoided" : "pitch classes weighted by the input's use")
        }
        if transposition != 0 { constraints.append("transposed by \(transposition) semitones") }
        if rhythmScale != 1 { constraints.append("rhythm scaled by \(format(rhythmScale))") }
        constraints.append(
            "continuity \(format(navigation.continuity)), minimum context \(navigation.minimumContext), "
                + "quality ≥ \(navigation.qualityThreshold)")
        let snapTarget = snapTargets[playing] ?? .off
        let snapper = harmony.snapper(for: snapTarget)
        if snapper != nil {
            let source = harmony.chord?.isOverride == true ? "the performer's" : "the heard"
            constraints.append(
                snapTarget == .chord
                    ? "snapped to \(source) chord \(harmony.chordName ?? "?")"
                    : "snapped to the scale of \(harmony.keyName ?? "?")")
        }
        if let arc { constraints.append(arcConstraint(arc, at: frame)) }
        let startState = start ?? pitchedStates[Int(random.next() % UInt64(pitchedStates.count))]

        let minimum = Int(parameters.phraseMinimum)
        let maximum = max(minimum, Int(parameters.phraseMaximum))
        var length = minimum + Int(random.next() % UInt64(maximum - minimum + 1))
        if voice == .bass { length = max(1, length / 2) }

        let shift = transposition
        let corpusTokens = tokenWeights != nil ? memory.vocabulary?.tokens : nil
        let score: (Int) -> Double? = { candidate in
            guard let note = Self.voicePitch(events[candidate - 1], voice: voice) else { return nil }
            let pitchClass = PitchMath.pitchClass(note + shift)
            if let allowed = allowedClasses, !allowed.contains(pitchClass) { return nil }
            var weight = classWeight.map { $0[pitchClass] } ?? 1
            if let corpusTokens, let tokenWeights, let tokenPreference {
                guard let preference = tokenPreference(tokenWeights[corpusTokens[candidate - 1]] ?? 0) else {
                    return nil
                }
                weight *= preference
            }
            return weight
        }
        var state = startState
        var steps: [PhraseStep] = []
        var notes: [Note] = []
        var time = frame
        var previousPitch: Int?
        var attempts = 0
        while notes.count < length && attempts < length * 4 {
            attempts += 1
            let walked: NavigationStep?
            if voice == .melody {
                walked = melody.navigator.step(from: state, oracle: oracle, parameters: navigation, score: score)
            } else {
                walked = bass.navigator.step(from: state, oracle: oracle, parameters: navigation, score: score)
            }
            guard let move = walked else { break }
            state = move.state
            let event = events[state - 1]
            guard let source = Self.voicePitch(event, voice: voice) else { continue }
            // Octave placement follows the line: near the previous note, or near the centre for the first.
            let target = previousPitch.map(Double.init) ?? centre
            var pitch = place(source + shift, near: target, register: register)
            if let snapper { pitch = snapper.snap(pitch, into: register) }
            previousPitch = pitch
            let interOnset = scaledInterOnset(after: state, in: events, by: rhythmScale)
            let duration = min(scaled(event.durationFrames), interOnset)
            notes.append(
                Note(
                    pitch: UInt8(pitch), cents: snapper == nil ? event.cents : 0,
                    velocity: scaledVelocity(event.velocity, at: time),
                    startFrame: time, durationFrames: max(1, duration), voice: voice))
            steps.append(
                move.isJump
                    ? PhraseStep(state: state, jumpedFrom: move.from, contextLength: move.lrs)
                    : PhraseStep(state: state))
            time += interOnset
        }
        let planned = notes.count
        let ceiling = Int(2 + 10 * parameters.density)
        let kept = applyDensityCeiling(notes)
        guard !kept.isEmpty else { return nil }
        // Keep each surviving note's own step.
        var keptSteps: [PhraseStep] = []
        var cursor = 0
        for note in kept {
            while cursor < notes.count && notes[cursor] != note { cursor += 1 }
            if cursor < steps.count { keptSteps.append(steps[cursor]) }
            cursor += 1
        }
        if kept.count < planned {
            constraints.append("density ceiling \(ceiling) notes/s dropped \(planned - kept.count) of \(planned) notes")
        }
        notes = kept
        steps = keptSteps
        let end = notes.map(\.endFrame).max() ?? frame
        if voice == .melody {
            motifs.remember(notes)
            melody.state = state
            melody.busyUntil = end
        } else {
            bass.state = state
            bass.busyUntil = end
        }
        var phrase = Phrase(
            notes: notes, steps: steps, voice: voice, mode: playing, transposition: transposition,
            matchedState: matched, reason: "\(playing): \(reason)")
        phrase.inputSpan = inputSpan
        phrase.matchedBy = matchedBy
        phrase.constraints = constraints
        return phrase
    }

    /// The pitch a voice takes from an event: the melody its main pitch, the bass its lowest note.
    private static func voicePitch(_ event: MusicalEvent, voice: Voice) -> Int? {
        voice == .bass ? (event.pitches.min() ?? event.midiNote) : event.midiNote
    }

    /// The pitched state whose next eight events are least like `histogram` (sampled among 48 candidates).
    private mutating func leastSimilarState(to histogram: [Double]) -> Int? {
        guard let memory = model, histogram.contains(where: { $0 > 0 }) else { return nil }
        var best: (Int, Double)?
        for _ in 0..<min(48, pitchedStates.count) {
            let candidate = pitchedStates[Int(random.next() % UInt64(pitchedStates.count))]
            var window = [Double](repeating: 0, count: 12)
            for index in candidate..<min(memory.events.count + 1, candidate + 8) {
                if let note = memory.events[index - 1].midiNote { window[PitchMath.pitchClass(note)] += 1 }
            }
            let similarity = pitchClassSimilarity(window, histogram)
            if best == nil || similarity < best!.1 { best = (candidate, similarity) }
        }
        return best?.0
    }

    /// Drops notes that would make more than `2 + 10 × density` notes start within any one second, counting every
    /// note already scheduled (phrases overlap when the agent answers every onset).
    private mutating func applyDensityCeiling(_ notes: [Note]) -> [Note] {
        let window = FrameTime(sampleRate)
        let ceiling = Int(2 + 10 * parameters.density)
        if let first = notes.first?.startFrame { recentNoteOns.removeAll { $0 + window <= first } }
        var kept: [Note] = []
        for note in notes {
            let t = note.startFrame
            // Every one-second window holding `t` starts at `t` or at a note within the second before it.
            let starts = recentNoteOns.filter { $0 <= t && $0 + window > t } + [t]
            let fits = starts.allSatisfy { start in
                recentNoteOns.filter { $0 >= start && $0 < start + window }.count + 1 <= ceiling
            }
            guard fits else { continue }
            recentNoteOns.append(t)
            kept.append(note)
        }
        return kept
    }

    private func medianInputPitch() -> Double? {
        let pitches = heard.compactMap(\.pitch).sorted()
        return pitches.isEmpty ? nil : Double(pitches[pitches.count / 2])
    }

    /// Input onsets per second over the heard window.
    private func inputDensity() -> Double {
        guard let first = heard.first?.frame, let last = heard.last?.frame, heard.count > 1, last > first else {
            return 0
        }
        return Double(heard.count - 1) / (Double(last - first) / sampleRate)
    }

    /// The corpus time from `state`'s event to the next one on the stream clock, scaled, kept in 60 ms...2 s.
    private func scaledInterOnset(after state: Int, in events: [MusicalEvent], by factor: Double) -> FrameTime {
        let lower = FrameTime(0.06 * sampleRate)
        let upper = FrameTime(2 * sampleRate)
        let raw = state < events.count ? events[state].interOnsetFrames : events[state - 1].durationFrames
        let value = FrameTime((Double(scaled(raw)) * factor).rounded())
        return min(upper, max(lower, value))
    }

    private func scaled(_ frames: FrameTime) -> FrameTime { FrameTime((Double(frames) * modelTimeScale).rounded()) }

    /// A corpus velocity mapped into the velocity range (unless `alreadyScaled`), then shaped by the arc at
    /// `frame`.
    private func scaledVelocity(_ velocity: UInt8, at frame: FrameTime, alreadyScaled: Bool = false) -> UInt8 {
        let low = parameters.velocityLow
        let high = parameters.velocityHigh
        var value = alreadyScaled ? Double(velocity) : low + (high - low) * Double(velocity) / 127
        if let arc { value *= arc.velocityScale(at: frame) }
        return UInt8(max(1, min(127, value.rounded())))
    }

    /// Moves `pitch` by octaves to lie as close as possible to `centre` inside `register`.
    private func place(_ pitch: Int, near centre: Double, register: ClosedRange<Int>) -> Int {
        var best = min(max(pitch, register.lowerBound), register.upperBound)
        var bestDistance = Double.infinity
        for octave in -10...10 {
            let candidate = pitch + 12 * octave
            guard register.contains(candidate) else { continue }
            let distance = abs(Double(candidate) - centre)
            if distance < bestDistance {
                bestDistance = distance
                best = candidate
            }
        }
        return best
    }

    private func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return String(tenths)
    }
}
