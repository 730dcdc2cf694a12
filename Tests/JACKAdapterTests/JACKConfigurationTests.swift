import MusicHalCore
import RealtimeSupport
import Testing

@testable import JACKAdapter

/// Checks that need no JACK server and no libjack client: configuration validation and the message relay.
@Suite("JACK configuration and errors")
struct JACKConfigurationTests {
    private static func bridge() -> RealtimeBridge { RealtimeBridge(maxPeriodFrames: 256) {} }

    @Test("A pattern that is not a regular expression is refused when the device is created")
    func invalidPattern() {
        let configuration = JACKDeviceConfiguration(
            audioInputs: [JACKPortConfiguration(name: "in_1", connections: ["system:capture_[12"])])
        #expect(throws: JACKError.self) { try JACKDevice(configuration: configuration, bridge: Self.bridge()) }
        do {
            _ = try JACKDevice(configuration: configuration, bridge: Self.bridge())
        } catch {
            guard case .invalidPortPattern(let pattern, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(pattern == "system:capture_[12")
            #expect(error.description.contains("not a valid regular expression"))
        }
    }

    @Test(
        "Bad names are refused with one clear message",
        arguments: [
            JACKDeviceConfiguration(clientName: ""),
            JACKDeviceConfiguration(clientName: "a:b"),
            JACKDeviceConfiguration(clientName: String(repeating: "x", count: 64)),
            JACKDeviceConfiguration(audioInputs: [JACKPortConfiguration(name: "")]),
            JACKDeviceConfiguration(audioInputs: [JACKPortConfiguration(name: "x:y")]),
            JACKDeviceConfiguration(
                audioInputs: [JACKPortConfiguration(name: "same")], midiOutputs: [JACKPortConfiguration(name: "same")]),
            JACKDeviceConfiguration(reconnectInitialDelay: .seconds(2), reconnectMaximumDelay: .seconds(1)),
        ])
    func invalidNames(configuration: JACKDeviceConfiguration) {
        #expect {
            try configuration.validate()
        } throws: { error in
            guard let error = error as? JACKError, case .invalidConfiguration = error else { return false }
            return error.description.hasPrefix("invalid JACK configuration: ")
        }
    }

    @Test("Patterns match whole port names")
    func wholeNameMatching() throws {
        let names = ["system:capture_1", "system:capture_2", "system:capture_10", "player:out_1"]
        #expect(try PortPattern("system:capture_[12]").matches(in: names) == ["system:capture_1", "system:capture_2"])
        #expect(try PortPattern("capture_1").matches(in: names).isEmpty)
        #expect(try PortPattern(".*:out_.*").matches(in: names) == ["player:out_1"])
    }

    @Test("The libjack message relay keeps order, cuts long messages and drops when full")
    func messageRelay() {
        let relay = JACKMessageRelay(capacity: 4)
        for index in 0..<6 { relay.post("message \(index)\n", kind: index == 1 ? .info : .error) }
        relay.post(String(repeating: "x", count: 1000), kind: .error)
        var received: [(JACKMessageRelay.Kind, String)] = []
        relay.drain { received.append(($0, $1)) }
        #expect(received.map(\.1) == ["message 0", "message 1", "message 2", "message 3"])
        #expect(received.map(\.0) == [.error, .info, .error, .error])
        #expect(relay.dropped == 3)
        relay.post(String(repeating: "y", count: 1000), kind: .error)
        relay.drain { received.append(($0, $1)) }
        #expect(received.last?.1.utf8.count == JACKMessageRelay.slotBytes - 1)
    }
}
