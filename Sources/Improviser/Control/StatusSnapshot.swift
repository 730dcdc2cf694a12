/// What the daemon is doing, as the status stream, `STATUS=` and `musichal ctl` report it.
public struct StatusSnapshot: Sendable, Equatable {
    /// starting, listening, playing, stopped or degraded.
    public var state = "starting"
    /// Active mode.
    public var mode = "imitate"
    /// Loaded model name, empty for none.
    public var model = ""
    /// Learning from the input.
    public var learning = false
    /// Transport running.
    public var transportRunning = true
    /// Input level in dBFS.
    public var inputLevelDB = -120.0
    /// Onsets per second over the last five seconds.
    public var onsetRate = 0.0
    /// MIDI note heard, or -1.
    public var inputPitch = -1
    /// Input events heard on the MIDI input since start.
    public var midiInputEvents = 0
    /// Oracle states.
    public var oracleStates = 0
    /// Tracked oracle state, or -1.
    public var oraclePosition = -1
    /// Notes sounding.
    public var activeNotes = 0
    /// Xruns since start.
    public var xruns: UInt64 = 0
    /// DSP load in percent.
    public var dspLoad = 0.0
    /// Input blocks lost since start because the engine fell behind the audio.
    public var droppedInputBlocks: UInt64 = 0
    /// MIDI messages that left after their frame since start.
    public var lateMIDIMessages: UInt64 = 0
    /// Latency from the engine receiving an onset's block to scheduling its answer, in milliseconds.
    public var latencyMilliseconds = 0.0
    /// Neural encoder state: off, ok or degraded.
    public var encoder = "off"
    /// Why the encoder is off or degraded; empty when ok.
    public var encoderDetail = ""
    /// Neural tokens made since start.
    public var encoderTokens = 0
    /// Errors since start.
    public var errors = 0
    /// Process CPU use in percent of one core.
    public var cpuPercent = 0.0
    /// Resident memory in MB.
    public var residentMegabytes = 0.0
    /// Status subscribers.
    public var clients = 0
    /// OSC messages handled (every message reaching the dispatcher, from any sender).
    public var oscReceived = 0
    /// OSC packets liblo rejected as malformed.
    public var oscMalformed = 0
    /// OSC messages dropped because the sender is not allowed.
    public var oscRefusedSenders = 0
    /// Engine position on the stream clock.
    public var frame: UInt64 = 0
    /// Audio backend's connection state, one line.
    public var audio = "none"
    /// Key heard (`D minor`), empty before enough has been heard.
    public var harmonyKey = ""
    /// Current chord (`Dm7`): a performer's override while one is in force, else the heard chord; empty for none.
    public var harmonyChord = ""
    /// Seconds left of a chord override, 0 for none.
    public var chordOverrideSeconds = 0.0
    /// Performance arc phase: off, build-up, main, ending, fade or ended.
    public var arcPhase = "off"
    /// Elapsed share of the performance arc, 0...1 (0 when off).
    public var arcProgress = 0.0
    /// Index of the setlist piece in place, -1 without a setlist.
    public var setlistPiece = -1
    /// Name of the setlist piece in place, empty without a setlist.
    public var setlistPieceName = ""

    /// Creates a snapshot with starting values.
    public init() {}

    /// One human line for `STATUS=` and logs.
    public var line: String {
        "\(state) mode=\(mode) model=\(model.isEmpty ? "none" : model) notes=\(activeNotes) xruns=\(xruns) "
            + "clients=\(clients) audio=\(audio)"
    }

    /// The status stream's messages, one per field (see `ControlAddressTable.statusFields`).
    public func messages(sequence: Int32) -> [ControlMessage] {
        [
            ControlMessage(address: "/hal/status/seq", arguments: [.int(sequence)]),
            ControlMessage(address: "/hal/status/state", arguments: [.string(state)]),
            ControlMessage(address: "/hal/status/mode", arguments: [.string(mode)]),
            ControlMessage(address: "/hal/status/model", arguments: [.string(model)]),
            ControlMessage(address: "/hal/status/learning", arguments: [.int(learning ? 1 : 0)]),
            ControlMessage(
                address: "/hal/status/transport", arguments: [.string(transportRunning ? "started" : "stopped")]),
            ControlMessage(address: "/hal/status/input/level", arguments: [.float(Float(inputLevelDB))]),
            ControlMessage(address: "/hal/status/input/onset_rate", arguments: [.float(Float(onsetRate))]),
            ControlMessage(address: "/hal/status/input/pitch", arguments: [.int(Int32(inputPitch))]),
            ControlMessage(
                address: "/hal/status/input/midi_events", arguments: [.int(Int32(clamping: midiInputEvents))]),
            ControlMessage(address: "/hal/status/oracle/states", arguments: [.int(Int32(clamping: oracleStates))]),
            ControlMessage(address: "/hal/status/oracle/position", arguments: [.int(Int32(clamping: oraclePosition))]),
            ControlMessage(address: "/hal/status/output/notes_active", arguments: [.int(Int32(clamping: activeNotes))]),
            ControlMessage(address: "/hal/status/audio/state", arguments: [.string(audio)]),
            ControlMessage(address: "/hal/status/audio/xruns", arguments: [.int(Int32(clamping: xruns))]),
            ControlMessage(address: "/hal/status/audio/dsp_load", arguments: [.float(Float(dspLoad))]),
            ControlMessage(
                address: "/hal/status/audio/dropped_blocks", arguments: [.int(Int32(clamping: droppedInputBlocks))]),
            ControlMessage(
                address: "/hal/status/audio/late_midi", arguments: [.int(Int32(clamping: lateMIDIMessages))]),
            ControlMessage(address: "/hal/status/latency_ms", arguments: [.float(Float(latencyMilliseconds))]),
            ControlMessage(address: "/hal/status/encoder", arguments: [.string(encoder)]),
            ControlMessage(address: "/hal/status/encoder/detail", arguments: [.string(encoderDetail)]),
            ControlMessage(address: "/hal/status/encoder/tokens", arguments: [.int(Int32(clamping: encoderTokens))]),
            ControlMessage(address: "/hal/status/errors", arguments: [.int(Int32(clamping: errors))]),
            ControlMessage(address: "/hal/status/cpu", arguments: [.float(Float(cpuPercent))]),
            ControlMessage(address: "/hal/status/rss_mb", arguments: [.float(Float(residentMegabytes))]),
            ControlMessage(address: "/hal/status/clients", arguments: [.int(Int32(clamping: clients))]),
            ControlMessage(address: "/hal/status/osc/received", arguments: [.int(Int32(clamping: oscReceived))]),
            ControlMessage(address: "/hal/status/osc/malformed", arguments: [.int(Int32(clamping: oscMalformed))]),
            ControlMessage(address: "/hal/status/osc/refused", arguments: [.int(Int32(clamping: oscRefusedSenders))]),
            ControlMessage(address: "/hal/status/harmony/key", arguments: [.string(harmonyKey)]),
            ControlMessage(address: "/hal/status/harmony/chord", arguments: [.string(harmonyChord)]),
            ControlMessage(
                address: "/hal/status/harmony/override", arguments: [.float(Float(chordOverrideSeconds))]),
            ControlMessage(address: "/hal/status/arc/phase", arguments: [.string(arcPhase)]),
            ControlMessage(address: "/hal/status/arc/progress", arguments: [.float(Float(arcProgress))]),
            ControlMessage(address: "/hal/status/setlist/piece", arguments: [.int(Int32(clamping: setlistPiece))]),
            ControlMessage(address: "/hal/status/setlist/name", arguments: [.string(setlistPieceName)]),
        ]
    }
}
