public import MusicHalCore

/// One move through the oracle while building a phrase.
public struct PhraseStep: Sendable, Hashable {
    /// The oracle state played.
    public var state: Int
    /// For a jump, the state jumped from; nil for a literal continuation.
    public var jumpedFrom: Int?
    /// For a jump, the context length (LRS) shared by the two places in the memory.
    public var contextLength: Int

    /// Creates a step.
    public init(state: Int, jumpedFrom: Int? = nil, contextLength: Int = 0) {
        self.state = state
        self.jumpedFrom = jumpedFrom
        self.contextLength = contextLength
    }
}

/// A phrase the agent decided to play, with the reasons for it.
public struct Phrase: Sendable, Hashable {
    /// The notes, in time order.
    public var notes: [Note]
    /// The oracle states walked, one per note.
    public var steps: [PhraseStep]
    /// The voice that plays it.
    public var voice: Voice
    /// Mode in force when the phrase was made (never `auto`: the mode auto had chosen).
    public var mode: ImproviserMode
    /// Semitones the corpus material was transposed by (besides octave placement).
    public var transposition: Int
    /// The tracked input state the phrase continued from, if any.
    public var matchedState: Int?
    /// Why the agent played it, in words.
    public var reason: String
    /// The stretch of input (stream frames) the phrase answers: for `imitate` the run of input the memory
    /// matched, otherwise the recent input whose pitch content shaped it; nil when nothing was heard.
    public var inputSpan: ClosedRange<FrameTime>?
    /// What the input was matched by: `features` (the traditional 22-D vectors) or `tokens` (neural).
    public var matchedBy = "features"
    /// The constraints and quality rules that filtered and weighted the candidate states, in words.
    public var constraints: [String] = []

    /// Creates a phrase.
    public init(
        notes: [Note], steps: [PhraseStep], voice: Voice, mode: ImproviserMode, transposition: Int = 0,
        matchedState: Int?, reason: String
    ) {
        self.notes = notes
        self.steps = steps
        self.voice = voice
        self.mode = mode
        self.transposition = transposition
        self.matchedState = matchedState
        self.reason = reason
    }

    /// Frame at which the phrase starts.
    public var startFrame: FrameTime? { notes.first?.startFrame }

    /// Frame at which the last note ends.
    public var endFrame: FrameTime? { notes.map(\.endFrame).max() }
}
