import AudioFeatures
import MusicHalApp
import Testing

@Suite("MIDI input configuration")
struct MIDIInputConfigurationTests {
    @Test("midi.input values are applied and become the listener's settings")
    func values() throws {
        let text = """
            midi:
              backend: jack
              input: {enabled: true, port: keys, connect: ["a2j:.*", "system:midi_capture_1"], channels: [1, 10], chord_window_ms: 20}
            """
        let config = try ConfigurationLoader.parse(text, file: "t.yaml")
        let input = config.midi.input
        #expect(input.enabled && input.port == "keys")
        #expect(input.connect == ["a2j:.*", "system:midi_capture_1"])
        #expect(input.channels == [1, 10])
        let settings = input.listenerSettings
        #expect(settings.channels == [0, 9])
        #expect(abs(settings.chordWindowSeconds - 0.02) < 1e-12)
        // Defaults: off, port midi_in, every channel, 30 ms.
        let defaults = MusicHalConfiguration().midi.input
        #expect(!defaults.enabled && defaults.port == "midi_in" && defaults.channels.isEmpty)
        #expect(defaults.listenerSettings.channels.count == 16)
        #expect(abs(defaults.listenerSettings.chordWindowSeconds - 0.03) < 1e-12)
        // MIDI input alone, on JACK with no audio backend.
        let alone = try ConfigurationLoader.parse(
            "audio: {backend: none}\nmidi: {backend: jack, input: {enabled: true}}\n", file: "t.yaml")
        #expect(alone.midi.input.enabled && alone.audio.backend == .none)
    }

    @Test(
        "each bad midi.input value gives one error naming the key and the file",
        arguments: [
            ("midi: {backend: none, input: {enabled: true}}", "midi.input.enabled", "needs midi.backend jack or alsa"),
            (
                "audio: {backend: none}\nmidi: {backend: alsa, input: {enabled: true}}", "midi.input.enabled",
                "needs midi.backend jack"
            ),
            ("midi: {input: {port: \"a:b\"}}", "midi.input.port", "without ':'"),
            ("midi: {input: {port: \"\"}}", "midi.input.port", "must not be empty"),
            ("midi: {input: {channels: [0]}}", "midi.input.channels", "not a channel 1-16"),
            ("midi: {input: {channels: [seventeen]}}", "midi.input.channels", "not a channel 1-16"),
            ("midi: {input: {connect: [\"\"]}}", "midi.input.connect", "entry 1 is empty"),
            ("midi: {input: {chord_window_ms: 500}}", "midi.input.chord_window_ms", "out of range"),
            ("midi: {input: {velocity_curve: 2}}", "midi.input.velocity_curve", "unknown key"),
            ("midi: {input: {enabled: perhaps}}", "midi.input.enabled", "true or false"),
        ])
    func badValues(text: String, key: String, problem: String) {
        #expect {
            try ConfigurationLoader.parse(text, file: "bad.yaml")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.file == "bad.yaml" && error.key == key && error.problem.contains(problem)
        }
    }
}
