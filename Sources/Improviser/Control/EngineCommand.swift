public import MIDICore
public import ModelFormat

/// A change the control surface asks of the engine. Commands reach the engine thread through a queue and are
/// applied between blocks; the commands of one OSC bundle arrive as one batch and are applied together.
public enum EngineCommand: Sendable {
    /// Switch the agent's mode.
    case setMode(ImproviserMode)
    /// Replace all parameters (already validated as a whole).
    case setParameters(AgentParameters)
    /// Learn from the input or not.
    case setLearning(Bool)
    /// Let the agent play (true) or stop it (false: notes released, tails kept).
    case setTransport(running: Bool)
    /// All notes off now, with the full panic sequence.
    case panic
    /// Change the MIDI output mode (channels, MPE, zone); notes are flushed first.
    case setOutputMode(MIDIOutputMode)
    /// Swap in a model (loaded elsewhere), or none.
    case replaceModel(name: String?, model: MusicHalModel?)
    /// Take `chord` as the harmony for `seconds`, whatever the input suggests.
    case overrideChord(ChordName, seconds: Double)
    /// End a chord override: the heard harmony counts again.
    case clearChordOverride
    /// Shape the next `minutes` as one performance (build-up, main part, ending, fade, silence); `learned`
    /// follows the loaded model's loudness contour from training when it has one.
    case startArc(minutes: Double, learned: Bool)
    /// End the arc: the agent plays at its parameters' level again.
    case stopArc
    /// What each playing mode's answers are kept to (modes not named keep their setting).
    case setSnapTargets([ImproviserMode: SnapTarget])
    /// Select a synth patch (bank select, program change) on the output's patch channel: the melody channel, or
    /// the MPE manager channel; sent after anything a command before it in the batch sent (a model swap's panic).
    case selectPatch(SynthPatch)
}
