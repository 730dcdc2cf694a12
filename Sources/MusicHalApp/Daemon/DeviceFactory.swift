import ALSAAdapter
import JACKAdapter
import Logging
import MIDICore
import MusicHalCore
import RealtimeSupport

/// Makes the configured real-time audio device: a JACK client (audio in and MIDI out), or ALSA capture with an
/// optional ALSA sequencer output.
enum DeviceFactory {
    static func make(configuration: MusicHalConfiguration, wake: @escaping @Sendable () -> Void) throws
        -> (any RealtimeAudioDevice)?
    {
        let audio = configuration.audio
        let midi = configuration.midi
        switch (audio.backend, midi.backend) {
        case (.none, _):
            return nil
        case (.jack, .jack), (.jack, .none):
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
                    audioInputs: [JACKPortConfiguration(name: "in_1", connections: audio.jackConnectInputs)],
                    midiOutputs: outputs, startWithoutServer: true),
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
            return try ALSACaptureDevice(
                configuration: ALSACaptureConfiguration(
                    deviceName: audio.alsaDevice, sampleRate: Int(audio.sampleRate),
                    periodFrames: audio.alsaPeriodFrames),
                bridge: bridge, midiOutput: sequencer)
        default:
            throw DaemonFailure(
                description:
                    "audio.backend \(audio.backend.rawValue) with midi.backend \(midi.backend.rawValue) is not a "
                    + "supported combination (use jack with jack, or alsa with alsa; either with none)")
        }
    }
}
