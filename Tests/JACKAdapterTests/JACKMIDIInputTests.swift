import Foundation
import Glibc
import MusicHalCore
import RealtimeSupport
import Synchronization
import Testing

@testable import JACKAdapter

/// What the test engine took from the MIDI input ring, with the blocks it arrived beside.
private final class MIDIInputLog: Sendable {
    let blocks = Mutex<[ObservedBlock]>([])
    let messages = Mutex<[TimedMIDIMessage]>([])
    /// Messages that were in the ring already when a block before their frame was popped: none may come late.
    let lateMessages = Mutex(0)

    /// Records a block and takes every message due before its end, as the daemon's engine loop does.
    func take(_ block: AudioBlock, from bridge: RealtimeBridge) {
        blocks.withLock { $0.append(observe(block)) }
        messages.withLock { messages in
            while let message = bridge.midiInput.peek(), message.frame < block.endFrame {
                _ = bridge.midiInput.pop()
                if message.frame < block.startFrame { lateMessages.withLock { $0 += 1 } }
                messages.append(message)
            }
        }
    }
}

/// A keyboard's MIDI into the device's MIDI input port: decoded in the process callback, stamped on the stream
/// clock and pushed before the cycle's audio block. In the serialized JACK suite (one libjack server at a time).
extension JACKIntegrationTests {
    /// Channel messages a keyboard plays, plus what the decoder must skip (clock, active sensing, poly pressure).
    private static func performance(startingAt start: UInt32) -> [JACKProbe.MIDIEvent] {
        var events: [JACKProbe.MIDIEvent] = []
        for k in 0..<24 {
            let frame = start &+ UInt32(k * 1013)
            let note = UInt8(48 + k % 24)
            events.append(.init(frame: frame, port: 0, length: 3, status: 0x90, data1: note, data2: UInt8(40 + k)))
            if k % 6 == 0 { events.append(.init(frame: frame, port: 0, length: 1, status: 0xF8, data1: 0, data2: 0)) }
            if k % 8 == 3 {
                events.append(.init(frame: frame &+ 5, port: 0, length: 3, status: 0xA0, data1: note, data2: 9))
                events.append(.init(frame: frame &+ 7, port: 0, length: 1, status: 0xFE, data1: 0, data2: 0))
            }
            // Velocity 0: a note-off in disguise.
            let release: UInt8 = k % 2 == 0 ? 0x80 : 0x90
            events.append(
                .init(frame: frame &+ 700, port: 0, length: 3, status: release, data1: note, data2: k % 2 == 0 ? 64 : 0)
            )
            if k % 5 == 0 {
                events.append(.init(frame: frame &+ 900, port: 0, length: 3, status: 0xB0, data1: 64, data2: 127))
            }
        }
        return events
    }

    private static func channelMessages(_ events: [JACKProbe.MIDIEvent]) -> [(frame: UInt32, message: MIDIMessage)] {
        events.compactMap { event in
            let bytes = [event.status, event.data1, event.data2].prefix(Int(event.length))
            return Array(bytes).withUnsafeBufferPointer { MIDIMessage(wire: $0) }.map { (event.frame, $0) }
        }
    }

    @Test("MIDI input: every channel message arrives once, decoded, at its exact frame, before its cycle's block")
    func midiInputFrames() throws {
        let server = try JACKTestServer(period: 256)
        defer { server.shutDown() }
        let keys = try JACKProbe(
            name: "keys", serverName: server.name, signals: [.ramp(scale: 1)], midiInputs: 0, midiOutputs: 1)
        try keys.activate()
        defer { keys.close() }
        let log = MIDIInputLog()
        let engine = TestEngine { block, bridge in log.take(block, from: bridge) }
        defer { engine.stop() }
        let configuration = JACKDeviceConfiguration(
            clientName: "hal", serverName: server.name,
            audioInputs: [JACKPortConfiguration(name: "in_1", connections: ["keys:out_1"])],
            midiOutputs: [JACKPortConfiguration(name: "midi_out")],
            midiInputs: [JACKPortConfiguration(name: "midi_in", connections: [".*:midi_out.*"])])
        let device = try JACKDevice(configuration: configuration, bridge: engine.bridge)
        try device.start()
        defer { device.stop() }
        #expect(device.midiInputPortNames == ["hal:midi_in"])
        // The loose pattern matches our own output too: it must not be connected (MusicHal would hear itself).
        #expect(waitUntil(timeout: 5) { keys.connections(of: "hal:midi_in") == ["keys:midi_out_1"] })
        #expect(waitUntil(timeout: 5) { log.blocks.withLock { $0.filter { $0.serverFrame != nil }.count } > 8 })

        let played = Self.performance(startingAt: keys.lastCycleStart &+ 4096)
        for event in played { #expect(keys.midiToSend.push(event)) }
        let expected = Self.channelMessages(played)
        #expect(waitUntil(timeout: 10) { log.messages.withLock { $0.count } >= expected.count })
        Thread.sleep(forTimeInterval: 0.1)
        device.stop()
        engine.stop()

        let received = log.messages.withLock { $0 }
        let blocks = log.blocks.withLock { $0 }
        let xruns = engine.bridge.counters.xruns
        #expect(engine.bridge.counters.droppedMIDIInput == 0)
        #expect(log.lateMessages.withLock { $0 } == 0, "a message reached the ring after its block")
        // An xrun can cost the device a cycle of input; only then may messages be missing.
        guard xruns == 0 else {
            #expect(received.count >= expected.count - 8 * Int(xruns))
            return
        }
        #expect(received.map(\.message) == expected.map(\.message))
        // Velocity-0 note-ons arrive as note-offs; nothing else but the channel messages passed.
        #expect(received.filter { $0.message.kind == 0x80 }.count == 24)
        #expect(received.allSatisfy { $0.message.kind != 0xA0 && $0.message.status < 0xF0 })
        var misplaced: [String] = []
        for (message, sent) in zip(received, expected) {
            let server = serverFrame(ofStreamFrame: message.frame, blocks: blocks)
            if server != sent.frame & (JACKProbe.rampPeriod - 1) {
                misplaced.append("\(message.message) at \(server.map(String.init) ?? "?"), sent \(sent.frame)")
            }
        }
        #expect(misplaced.isEmpty, "\(misplaced)")
        print("MIDI input: \(received.count) messages, every one at its server frame; xruns \(xruns)")
    }

    @Test("MIDI input without audio inputs: silent blocks keep the clock, messages keep their spacing")
    func midiInputWithoutAudio() throws {
        let server = try JACKTestServer(period: 256)
        defer { server.shutDown() }
        let keys = try JACKProbe(name: "keys", serverName: server.name, signals: [], midiInputs: 0, midiOutputs: 1)
        try keys.activate()
        defer { keys.close() }
        let log = MIDIInputLog()
        let engine = TestEngine { block, bridge in log.take(block, from: bridge) }
        defer { engine.stop() }
        let device = try JACKDevice(
            configuration: JACKDeviceConfiguration(
                clientName: "hal", serverName: server.name, audioInputs: [], midiOutputs: [],
                midiInputs: [JACKPortConfiguration(name: "keyboard", connections: ["keys:midi_out_1"])]),
            bridge: engine.bridge)
        try device.start()
        defer { device.stop() }
        #expect(waitUntil(timeout: 5) { keys.connections(of: "hal:keyboard") == ["keys:midi_out_1"] })
        #expect(waitUntil(timeout: 5) { log.blocks.withLock { $0.count } > 8 })
        let played = Self.performance(startingAt: keys.lastCycleStart &+ 2048)
        for event in played { #expect(keys.midiToSend.push(event)) }
        let expected = Self.channelMessages(played)
        #expect(waitUntil(timeout: 10) { log.messages.withLock { $0.count } >= expected.count })
        device.stop()
        engine.stop()
        let received = log.messages.withLock { $0 }
        let blocks = log.blocks.withLock { $0 }
        #expect(blocks.allSatisfy { $0.serverFrame == nil }, "no audio input: silent blocks")
        guard engine.bridge.counters.xruns == 0, let first = received.first, let sentFirst = expected.first else {
            return
        }
        #expect(received.map(\.message) == expected.map(\.message))
        // One clock: stream-frame distances equal the server-frame distances the keyboard played at.
        #expect(
            received.map { $0.frame - first.frame } == expected.map { UInt64($0.frame &- sentFirst.frame) })
    }
}
