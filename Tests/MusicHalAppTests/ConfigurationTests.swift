import Foundation
import Improviser
import MusicHalApp
import MusicHalCore
import Testing

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

@Suite("Configuration")
struct ConfigurationTests {
    @Test("the shipped Config/musichal.yaml loads and equals the built-in defaults")
    func shippedConfiguration() throws {
        let path = packageRoot.appendingPathComponent("Config/musichal.yaml").path
        let loaded = try ConfigurationLoader.load(path: path)
        var expected = MusicHalConfiguration()
        expected.agent.seed = 1
        #expect(loaded == expected)
    }

    @Test("an empty file means defaults")
    func emptyFile() throws {
        #expect(try ConfigurationLoader.parse("", file: "empty.yaml") == MusicHalConfiguration())
        #expect(try ConfigurationLoader.parse("# only a comment\n", file: "c.yaml") == MusicHalConfiguration())
    }

    @Test("values are applied")
    func values() throws {
        let text = """
            audio: {backend: alsa, sample_rate: 44100, alsa: {device: "hw:1", period_frames: 128}}
            midi: {mode: mpe, channels: {melody: 3, bass: 4}, mpe: {zone: upper, members: 7}}
            osc: {port: 9001, allow: ["192.168.1.0/24", "10.0.0.7", "fe80::/10"]}
            paths: {models: /srv/models}
            agent: {mode: lead, seed: 99, learning: true, parameters: {melody_low: 40, melody_high: 60, density: 0.9}}
            """
        let config = try ConfigurationLoader.parse(text, file: "t.yaml")
        #expect(config.audio.backend == .alsa)
        #expect(config.audio.sampleRate == 44_100)
        #expect(config.audio.alsaDevice == "hw:1")
        #expect(config.midi.mode == .mpe)
        #expect(config.midi.melodyChannel == 3)
        #expect(config.midi.mpeZone == .upper && config.midi.mpeMembers == 7)
        #expect(config.osc.port == 9001 && config.osc.allow.count == 3)
        #expect(config.paths.models == "/srv/models")
        #expect(config.agent.mode == .lead && config.agent.seed == 99 && config.agent.learning)
        #expect(config.agent.parameters.register(of: .melody) == 40...60)
        #expect(config.agent.parameters.density == 0.9)
    }

    @Test(
        "each bad value gives one error naming the key and the file",
        arguments: [
            ("midi: {channels: {melody: 17}}", "midi.channels.melody", "out of range"),
            ("audio: {backend: pulse}", "audio.backend", "not one of"),
            ("osc: {port: seventy}", "osc.port", "whole number"),
            ("osc: {allow: [\"300.1.1.1\"]}", "osc.allow[0]", "not an IP address"),
            ("agent: {parameters: {density: 2}}", "agent.parameters", "out of range"),
            ("agent: {parameters: {volume: 1}}", "agent.parameters.volume", "unknown parameter"),
            ("agent: {parameters: {melody_low: 100}}", "agent.parameters", "above melody_high"),
            ("agent: {learning: maybe}", "agent.learning", "true or false"),
            ("midi: {channels: 3}", "midi.channels", "mapping"),
            ("osc: {allow: 1.2.3.4}", "osc.allow", "list"),
        ])
    func badValues(text: String, key: String, words: String) {
        do {
            _ = try ConfigurationLoader.parse(text, file: "/etc/musichal/bad.yaml")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.key == key)
            #expect(error.description.hasPrefix("/etc/musichal/bad.yaml: \(key): "))
            #expect(error.description.contains(words), "\(error.description)")
        }
    }

    @Test(
        "unknown keys are errors at every level, never ignored",
        arguments: [
            ("colour: blue", "colour"),
            ("audio: {jack: {clientname: x}}", "audio.jack.clientname"),
            ("agent: {mode: imitate, moods: 3}", "agent.moods"),
        ])
    func unknownKeys(text: String, key: String) {
        do {
            _ = try ConfigurationLoader.parse(text, file: "c.yaml")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.key == key)
            #expect(error.problem == "unknown key")
        }
    }

    @Test("invalid YAML and missing files are clear errors")
    func unreadable() {
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("audio: [unclosed", file: "x.yaml") }
        do {
            _ = try ConfigurationLoader.load(path: "/nonexistent/musichal.yaml")
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.description == "/nonexistent/musichal.yaml: the configuration file does not exist")
        }
    }
}

@Suite("Address ranges")
struct AddressRangeTests {
    @Test(
        "CIDR ranges contain what they should",
        arguments: [
            ("192.168.1.0/24", "192.168.1.77", true), ("192.168.1.0/24", "192.168.2.1", false),
            ("10.0.0.7", "10.0.0.7", true), ("10.0.0.7", "10.0.0.8", false), ("0.0.0.0/0", "8.8.8.8", true),
            ("127.0.0.0/8", "::ffff:127.0.0.1", true), ("fe80::/10", "fe80::1", true),
            ("fe80::/10", "2001:db8::1", false),
            ("::1", "127.0.0.1", false),
        ])
    func contains(range: String, address: String, expected: Bool) throws {
        let parsed = try #require(AddressRange(parsing: range))
        #expect(parsed.contains(address) == expected)
    }

    @Test(
        "garbage is not a range",
        arguments: ["", "1.2.3", "1.2.3.4/33", "::1/129", "a.b.c.d", "1.2.3.4/-1", "1.2.3.4/x"])
    func garbage(text: String) {
        #expect(AddressRange(parsing: text) == nil)
    }
}
