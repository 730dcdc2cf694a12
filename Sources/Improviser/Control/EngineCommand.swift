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
}
