public import MusicHalCore

/// A motif brought back, varied, with what was done to it.
public struct RecalledMotif: Sendable, Hashable {
    /// The notes to play, from the recall frame, inside the register.
    public var notes: [Note]
    /// How the motif was varied.
    public var variation: MotifVariation
    /// Semitones of a transposition (0 for the other variations).
    public var transposition: Int
    /// Semitones the whole motif was moved by octaves to fit the register (0 when it fitted, or when notes were
    /// folded in one by one).
    public var octaveShift: Int
    /// The motif as remembered.
    public var source: Motif
    /// Why the agent played it, in words, e.g. `recalls its 5-note motif from 42.0 s, inverted`.
    public var reason: String
}

/// The agent's memory of its own recent phrases as motifs, and the rule for bringing one back.
///
/// Timing rule: a recall is allowed once a wait drawn uniformly from `minimumWait...maximumWait` seconds (30–60 s)
/// has passed since the last recall (or since `startFrame`); each call in that window then passes an initiative
/// gate with probability `initiative`. When the gate fails the next try is `retryWait` seconds later, so higher
/// initiative brings motifs back closer to the 30–60 s cadence and initiative 0 never does. The caller asks at
/// the moments the agent is about to start a phrase of its own.
///
/// Variation: one of transposition (by a step, third, fourth or fifth up or down:
/// `transpositionChoices`), inversion, augmentation and diminution, with equal probability. The motif is chosen
/// uniformly among those remembered except the newest (just heard, so not a recall) when there are several.
///
/// Every random choice draws from the generator passed in, so a performance replays exactly from its seed.
public struct MotifMemory: Sendable {
    /// Sample rate of the frame clock.
    public let sampleRate: Double
    /// Most motifs kept; the oldest goes first.
    public let capacity: Int
    /// Fewest notes a phrase needs to become a motif (two intervals make a shape).
    public var minimumNotes = 3
    /// Most notes kept of a phrase (its beginning: the head of a phrase is its most recognizable part).
    public var maximumNotes = 12
    /// Shortest wait between recalls, in seconds.
    public var minimumWait = 30.0
    /// Longest wait between recalls, in seconds.
    public var maximumWait = 60.0
    /// Wait after a failed initiative gate, in seconds.
    public var retryWait = 10.0
    /// Intervals a transposition moves by: steps, thirds, fourths and fifths, the usual intervals of sequence
    /// and imitation.
    public static let transpositionChoices = [-7, -5, -4, -3, -2, 2, 3, 4, 5, 7]

    /// The remembered motifs, oldest first.
    public private(set) var motifs: [Motif] = []
    /// Frame of the last recall, if any.
    public private(set) var lastRecall: FrameTime?
    /// Earliest frame of the next recall, once drawn (at the first call to `recall` after the last recall).
    public private(set) var nextRecallFrame: FrameTime?
    private var anchor: FrameTime

    /// Creates an empty memory on a clock of `sampleRate`; the first recall waits from `startFrame`.
    public init(sampleRate: Double, capacity: Int = 16, startFrame: FrameTime = 0) {
        precondition(sampleRate.isFinite && sampleRate > 0, "sample rate must be positive")
        self.sampleRate = sampleRate
        self.capacity = max(1, capacity)
        anchor = startFrame
        motifs.reserveCapacity(self.capacity)
    }

    /// Remembers a phrase the agent played (its first `maximumNotes` notes); returns false when it is too short
    /// to be a motif.
    @discardableResult
    public mutating func remember(_ notes: [Note]) -> Bool {
        guard notes.count >= minimumNotes else { return false }
        let head = notes.sorted { $0.startFrame < $1.startFrame }.prefix(maximumNotes)
        guard let motif = Motif(notes: Array(head)) else { return false }
        if motifs.count >= capacity { motifs.removeFirst(motifs.count - capacity + 1) }
        motifs.append(motif)
        return true
    }

    /// Forgets every motif and restarts the recall timing from `frame`.
    public mutating func reset(at frame: FrameTime) {
        motifs.removeAll(keepingCapacity: true)
        lastRecall = nil
        nextRecallFrame = nil
        anchor = frame
    }

    /// Brings back a varied motif at `frame` inside `register`, or nil when the timing rule or the initiative
    /// gate says no, or nothing is remembered.
    public mutating func recall(
        at frame: FrameTime, register: ClosedRange<Int>, initiative: Double, random: inout SeededRandomGenerator
    ) -> RecalledMotif? {
        let due = nextRecallFrame ?? (anchor + drawWait(&random))
        nextRecallFrame = due
        guard frame >= due, !motifs.isEmpty else { return nil }
        guard random.nextUnit() < initiative else {
            nextRecallFrame = frame + frames(retryWait)
            return nil
        }
        let choices = motifs.count > 1 ? motifs.count - 1 : 1
        let source = motifs[Int(random.next() % UInt64(choices))]
        let variation = MotifVariation.allCases[Int(random.next() % UInt64(MotifVariation.allCases.count))]
        var varied: Motif
        var transposition = 0
        switch variation {
        case .transposition:
            let choices = Self.transpositionChoices
            transposition = choices[Int(random.next() % UInt64(choices.count))]
            varied = source.transposed(by: transposition)
        case .inversion: varied = source.inverted()
        case .augmentation: varied = source.augmented()
        case .diminution: varied = source.diminished()
        }
        let placed = varied.fitted(into: register)
        let octaveShift = placed.intervals == varied.intervals ? placed.firstPitch - varied.firstPitch : 0
        let notes = placed.notes(startingAt: frame, register: register)
        lastRecall = frame
        anchor = frame
        nextRecallFrame = frame + drawWait(&random)
        return RecalledMotif(
            notes: notes, variation: variation, transposition: transposition, octaveShift: octaveShift,
            source: source,
            reason: reason(source: source, variation: variation, transposition: transposition, octave: octaveShift))
    }

    private func drawWait(_ random: inout SeededRandomGenerator) -> FrameTime {
        let low = max(0, minimumWait)
        let high = max(low, maximumWait)
        return frames(low + (high - low) * random.nextUnit())
    }

    private func frames(_ seconds: Double) -> FrameTime { FrameTime((max(0, seconds) * sampleRate).rounded()) }

    private func reason(source: Motif, variation: MotifVariation, transposition: Int, octave: Int) -> String {
        let tenths = (Double(source.recordedAt) / sampleRate * 10).rounded() / 10
        let how =
            switch variation {
            case .transposition: "transposed \(transposition > 0 ? "up" : "down") \(abs(transposition)) semitones"
            case .inversion: "inverted"
            case .augmentation: "in augmentation (twice as slow)"
            case .diminution: "in diminution (twice as fast)"
            }
        let moved = octave == 0 ? "" : ", moved \(octave > 0 ? "up" : "down") \(abs(octave) / 12) octave(s) to fit"
        return "recalls its \(source.noteCount)-note motif from \(tenths) s, \(how)\(moved)"
    }
}
