import ALSAAdapter
import JACKAdapter
import Logging
import MIDICore
import MusicHalCore
import RealtimeSupport

/// Makes the configured real-time audio device: a JACK client (audio in, MIDI out, and MIDI in when enabled), or
/// ALSA capture with an optional ALSA sequencer output and input. With `audio.backend: none` and MIDI input on JACK,
/// the JACK client has no audio input: its clock and its MIDI ports alone drive the engine.
enum DeviceFactory {
    static func make(configuration: MusicHalConfiguration, wake: @escaping @Sendable () -> Void) throws
        -> (any RealtimeAudioDevice)?
    {
        let audio = configuration.audio
        let midi = configuration.midi
        let midiInput = midi.input.enabled && midi.backend != .none
        switch (audio.backend, midi.backend) {
        case (.none, .jack) where midiInput, (.jack, .jack), (.jack, .none):
            let bridge = RealtimeBridge(maxPeriodFrames: 8192, wakeEngine: wake)
            let outputs: [JACKPortConfiguration] =
                midi.backend == .none
                ? []
                : (midi.portPerVoice
                    ? [
                        JACKPortConfiguration(name: "melody", connections: midi.jackConnectOutputs),
                        JACKPortConfiguration(name: "bass", connections: midi.jackConnectOutputs),
                    ]
                    : [JACKPortConfiguration(name: "midi_out", connections: midi.jackConnectOutputs)])
            let device = try JACKDevice(
                configuration: JACKDeviceConfiguration(
                    clientName: audio.jackClientName, serverName: audio.jackServerName,
                    audioInputs: audio.backend == .none
                        ? [] : [JACKPortConfiguration(name: "in_1", connections: audio.jackConnectInputs)],
                    midiOutputs: outputs,
                    midiInputs: midiInput
                        ? [JACKPortConfiguration(name: midi.input.port, connections: midi.input.connect)] : [],
                    startWithoutServer: true),
                bridge: bridge)
            return device
        case (.alsa, .alsa), (.alsa, .none):
            let bridge = RealtimeBridge(maxPeriodFrames: max(8192, audio.alsaPeriodFrames), wakeEngine: wake)
            var sequencer: ALSASequencerOutput?
            if midi.backend == .alsa {
                let output = try ALSASequencerOutput(
                    configuration: ALSASequencerConfiguration(clientName: midi.alsaClientName),
                    sampleRate: audio.sampleRate)
                try output.open()
                sequencer = output
            }
            var keyboard: ALSASequencerInput?
            if midiInput {
                let input = try ALSASequencerInput(
                    configuration: ALSASequencerInputConfiguration(
                        clientName: "\(midi.alsaClientName)-in", portName: midi.input.port,
                        connections: midi.input.connect))
                try input.open()
                keyboard = input
            }
            return try ALSACaptureDevice(
                configuration: ALSACaptureConfiguration(
                    deviceName: audio.alsaDevice, sampleRate: Int(audio.sampleRate),
                    periodFrames: audio.alsaPeriodFrames),
                bridge: bridge, midiOutput: sequencer, midiInput: keyboard)
        case (.none, _):
            return nil
        default:
            throw DaemonFailure(
                description:
                    "audio.backend \(audio.backend.rawValue) with midi.backend \(midi.backend.rawValue) is not a "
                    + "supported combination (use jack with jack, or alsa with alsa; either with none)")
        }
    }
}
