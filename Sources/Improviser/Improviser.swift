public import ModelFormat
public import MusicHalCore
import OracleCore

/// The agent: it tracks the musician in its memory and answers with phrases walked through the oracle.
///
/// Pure and deterministic: time is the stream's sample clock passed in, and every random choice comes from
/// generators seeded at creation, so the same input and seed give the same answer.
public struct Improviser: Sendable {
    /// Sample rate of the stream clock the agent works on.
    public let sampleRate: Double
    /// Musical parameters.
    public var parameters: AgentParameters
    /// Current mode.
    public var mode: ImproviserMode
    /// Whether heard events are added to the memory.
    public var isLearning = false
    /// The memory, if a model is loaded.
    public private(set) var model: MusicHalModel?
    /// Where the musician currently is in the memory (an oracle state), if known.
    public private(set) var trackedState: Int?

    private var navigator: OracleNavigator
    private var tracker = OracleTracker()
    private var random: SeededRandomGenerator
    private var busyUntil: FrameTime = 0
    private var recentPitches: [Double] = []
    private var modelTimeScale = 1.0

    /// Creates an agent on a stream clock of `sampleRate`, with every random choice derived from `seed`.
    public init(
        sampleRate: Double, seed: UInt64, parameters: AgentParameters = AgentParameters(),
        mode: ImproviserMode = .imitate
    ) {
        self.sampleRate = sampleRate
        self.parameters = parameters
        self.mode = mode
        navigator = OracleNavigator(seed: seed)
        random = SeededRandomGenerator(seed: seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// Replaces the memory. Tracking restarts; the phrase in progress is left to the scheduler.
    public mutating func load(_ model: MusicHalModel?) {
        self.model = model
        tracker = OracleTracker()
        trackedState = nil
        modelTimeScale = model.map { sampleRate / $0.metadata.analysisSampleRate } ?? 1
    }

    /// Hears a completed input event at stream frame `now`: tracks it in the memory, learns it when learning
    /// is on, and may answer with a phrase starting at `now`.
    public mutating func hear(_ event: MusicalEvent, now: FrameTime) -> Phrase? {
        if let pitch = event.midiPitch {
            recentPitches.append(pitch)
            if recentPitches.count > 16 { recentPitches.removeFirst(recentPitches.count - 16) }
        }
        guard var memory = model else { return nil }
        let frame = event.features.values.map(Double.init)
        if frame.count == memory.oracle.dimension {
            trackedState = tracker.observe(frame, in: memory.oracle).state
        }
        if isLearning, frame.count == memory.oracle.dimension {
            // The corpus keeps its own clock: store the event in model frames.
            var learned = event
            learned.onsetFrame = FrameTime(Double(event.onsetFrame) / modelTimeScale)
            learned.offsetFrame = FrameTime(Double(event.offsetFrame) / modelTimeScale)
            learned.interOnsetFrames = FrameTime(Double(event.interOnsetFrames) / modelTimeScale)
            if (try? memory.learn([learned])) != nil { model = memory }
        }
        guard mode != .listen, now >= busyUntil, random.nextUnit() < parameters.density else { return nil }
        let reason: String
        let start: Int?
        if let tracked = trackedState {
            start = tracked
            reason = "continues the memory from state \(tracked), where the input was matched"
        } else {
            start = nil
            reason = "input not found in the memory: starts from a random pitched moment"
        }
        return makePhrase(startingAfter: start, at: now, reason: reason)
    }

    /// Builds a phrase of `phrase_min...phrase_max` notes by walking the oracle from `state` (or a random
    /// pitched state), starting at `frame`. Pitches, velocities, durations and inter-onset intervals come from
    /// the corpus events walked, so rhythm travels with pitch.
    public mutating func makePhrase(startingAfter state: Int?, at frame: FrameTime, reason: String) -> Phrase? {
        guard let memory = model, memory.oracle.stateCount > 1 else { return nil }
        let events = memory.events
        let oracle = memory.oracle
        let minimum = Int(parameters.phraseMinimum)
        let maximum = max(minimum, Int(parameters.phraseMaximum))
        let length = minimum + Int(random.next() % UInt64(maximum - minimum + 1))
        var navigation = NavigationParameters()
        navigation.continuity = parameters.continuity
        navigation.temperature = parameters.temperature

        var current = state ?? (1 + Int(random.next() % UInt64(oracle.stateCount - 1)))
        var steps: [PhraseStep] = []
        var notes: [Note] = []
        var time = frame
        let register = parameters.register(of: .melody)
        let centre =
            recentPitches.isEmpty ? Double(register.lowerBound + register.upperBound) / 2 : median(recentPitches)
        var attempts = 0
        while notes.count < length && attempts < length * 4 {
            attempts += 1
            guard
                let step = navigator.step(
                    from: current, oracle: oracle, parameters: navigation,
                    score: { candidate in
                        events[candidate - 1].midiPitch == nil ? nil : 1
                    })
            else { break }
            current = step.state
            let event = events[current - 1]
            guard let pitch = event.midiNote else { continue }
            let played = placeInRegister(pitch + Int(parameters.transposition), near: centre, register: register)
            let interOnset = nextInterOnset(after: current, in: events)
            let duration = min(scaled(event.durationFrames), interOnset)
            notes.append(
                Note(
                    pitch: UInt8(played), cents: event.cents, velocity: scaledVelocity(event.velocity),
                    startFrame: time,
                    durationFrames: max(1, duration), voice: .melody))
            steps.append(
                step.isJump
                    ? PhraseStep(state: current, jumpedFrom: step.from, contextLength: step.lrs)
                    : PhraseStep(state: current))
            time += interOnset
        }
        guard !notes.isEmpty else { return nil }
        busyUntil = notes.map(\.endFrame).max() ?? frame
        return Phrase(notes: notes, steps: steps, mode: mode, matchedState: state, reason: reason)
    }

    /// The corpus time from `state`'s event to the next one, on the stream clock, kept between 60 ms and 2 s.
    private func nextInterOnset(after state: Int, in events: [MusicalEvent]) -> FrameTime {
        let lower = FrameTime(0.06 * sampleRate)
        let upper = FrameTime(2 * sampleRate)
        let raw = state < events.count ? events[state].interOnsetFrames : events[state - 1].durationFrames
        return min(upper, max(lower, scaled(raw)))
    }

    private func scaled(_ frames: FrameTime) -> FrameTime { FrameTime((Double(frames) * modelTimeScale).rounded()) }

    private func scaledVelocity(_ velocity: UInt8) -> UInt8 {
        let low = parameters.velocityLow
        let high = parameters.velocityHigh
        return UInt8(max(1, min(127, (low + (high - low) * Double(velocity) / 127).rounded())))
    }

    /// Moves `pitch` by octaves to lie as close as possible to `centre` inside `register`.
    private func placeInRegister(_ pitch: Int, near centre: Double, register: ClosedRange<Int>) -> Int {
        var best = min(max(pitch, register.lowerBound), register.upperBound)
        var bestDistance = Double.infinity
        for octave in -6...6 {
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

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
