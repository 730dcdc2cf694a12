public import MIDICore
public import ModelFormat
public import MusicHalCore

extension SynthPatch {
    /// The patch's messages on the channel that selects a sound for `mode`: the melody channel in standard
    /// output (the bass channel keeps its own sound, often another synth or patch), the manager channel in MPE
    /// (program and bank select there apply to the whole zone).
    public func messages(for mode: MIDIOutputMode) -> [MIDIMessage] {
        switch mode {
        case .standard(let channels): messages(channel: channels.melodyWireChannel)
        case .mpe(let zone): messages(channel: zone.managerWireChannel)
        }
    }
}

extension SetlistPiece {
    /// The parameters in force during the piece: `base` (the configuration's) with the piece's values on top,
    /// checked together, so every piece starts from the same place whatever was changed during the one before.
    public func parameters(over base: AgentParameters) throws(ParameterError) -> AgentParameters {
        var parameters = base
        try parameters.set(parameterList)
        return parameters
    }

    /// The engine batch that puts the piece in place, in the order it must happen: silence first (the model
    /// swap's panic, or a plain panic when `model` is nil because the piece keeps the loaded model), then mode,
    /// parameters, the synth patch (after the panic, so no old note sounds with the new patch), and the
    /// performance arc for the piece's duration (or none).
    public func engineCommands(loading model: MusicHalModel?, parameters: AgentParameters) -> [EngineCommand] {
        var batch: [EngineCommand] = [model.map { .replaceModel(name: self.model, model: $0) } ?? .panic]
        if let mode { batch.append(.setMode(mode)) }
        batch.append(.setParameters(parameters))
        if let patch { batch.append(.selectPatch(patch)) }
        batch.append(durationMinutes.map { .startArc(minutes: $0, learned: false) } ?? .stopArc)
        return batch
    }
}
