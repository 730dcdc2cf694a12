import ALSAAdapter
import Foundation
import MusicHalCore
import RealtimeSupport
import Synchronization
import Testing

/// ALSA capture without hardware (platform.md §6): a private configuration defines a `file` PCM over `null` whose
/// `infile` is a raw fixture, so the device's real open, hardware-parameter and blocking-read code runs against
/// alsa-lib. The file plugin is not paced and returns silence past the fixture's end, so each test reads exactly
/// the fixture's length (`frameLimit`). Real sound cards and xruns need hardware: not tested here.
@Suite("ALSA capture")
struct CaptureTests {
    /// A raw fixture in a private temporary directory, removed by `remove()`.
    private struct Fixture {
        let directory: URL
        let path: String

        init(bytes: [UInt8]) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("musichal-alsa-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent("fixture.raw").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    private static func configurationText(infile: String) -> String {
        "pcm.testin { type file slave.pcm { type null } file \"/dev/null\" infile \"\(infile)\" format \"raw\" }"
    }

    private static func bytes<T>(of values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    /// Starts a device on `configuration`, waits until it captured its frame limit, and returns its blocks.
    private static func capture(
        _ configuration: ALSACaptureConfiguration, bridge: RealtimeBridge
    ) throws -> (ALSACaptureDevice, [AudioBlock]) {
        let device = try ALSACaptureDevice(configuration: configuration, bridge: bridge)
        try device.start()
        let deadline = Date().addingTimeInterval(10)
        while device.state != .stopped && Date() < deadline { usleep(1_000) }
        device.stop()
        var blocks: [AudioBlock] = []
        var block = AudioBlock(startFrame: 0, sampleRate: 48_000, samples: [])
        while bridge.input.pop(into: &block) { blocks.append(block) }
        return (device, blocks)
    }

    private static func checkStamps(_ blocks: [AudioBlock], total: Int) {
        var expected: UInt64 = 0
        for block in blocks {
            #expect(block.startFrame == expected)
            expected = block.endFrame
        }
        #expect(expected == UInt64(total))
    }

    @Test("S16_LE mono: every sample captured exactly (x / 32768), stamps contiguous from 0, nothing past the end")
    func int16Mono() throws {
        let frames = 4_800 + 37  // not a whole number of periods
        let values = (0..<frames).map { Int16(truncatingIfNeeded: ($0 * 7_919) % 65_536 - 32_768) }
        let fixture = try Fixture(bytes: Self.bytes(of: values))
        defer { fixture.remove() }
        let bridge = RealtimeBridge(maxPeriodFrames: 256, inputSlots: 64) {}
        let configuration = ALSACaptureConfiguration(
            deviceName: "testin", periodFrames: 256, sampleFormat: .int16,
            configurationText: Self.configurationText(infile: fixture.path), frameLimit: UInt64(frames))
        let (device, blocks) = try Self.capture(configuration, bridge: bridge)
        #expect(device.sampleFormat == .int16)
        #expect(device.sampleRate == 48_000)
        #expect(device.streamFrame == UInt64(frames))
        #expect(blocks.flatMap(\.samples) == values.map { Float($0) / 32_768 })
        #expect(blocks.dropLast().allSatisfy { $0.frameCount == 256 })
        #expect(blocks.last?.frameCount == frames % 256)
        Self.checkStamps(blocks, total: frames)
        #expect(bridge.counters.cycles == UInt64(blocks.count))
        #expect(bridge.counters.xruns == 0)
    }

    @Test("FLOAT_LE stereo is averaged to mono exactly; blocks longer than the ring's slots are split")
    func floatStereo() throws {
        let frames = 3_000
        var interleaved: [Float] = []
        for frame in 0..<frames {
            interleaved.append(Float(frame % 512) / 512)
            interleaved.append(-Float(frame % 64) / 256)
        }
        let fixture = try Fixture(bytes: Self.bytes(of: interleaved))
        defer { fixture.remove() }
        let bridge = RealtimeBridge(maxPeriodFrames: 128, inputSlots: 64) {}
        let configuration = ALSACaptureConfiguration(
            deviceName: "testin", channels: 2, periodFrames: 256, sampleFormat: .float32,
            configurationText: Self.configurationText(infile: fixture.path), frameLimit: UInt64(frames))
        let (device, blocks) = try Self.capture(configuration, bridge: bridge)
        #expect(device.sampleFormat == .float32)
        let expected = (0..<frames).map { (frame: Int) -> Float in
            let left: Float = interleaved[2 * frame]
            let right: Float = interleaved[2 * frame + 1]
            return (left + right) * 0.5
        }
        #expect(blocks.flatMap(\.samples) == expected)
        #expect(blocks.allSatisfy { $0.frameCount <= 128 })
        Self.checkStamps(blocks, total: frames)
    }

    @Test("Automatic format picks float when the device offers it; due MIDI is discarded without an output")
    func automaticFormatAndMIDIDiscard() throws {
        let frames = 1_024
        let fixture = try Fixture(bytes: Self.bytes(of: [Float](repeating: 0.25, count: frames)))
        defer { fixture.remove() }
        let bridge = RealtimeBridge(maxPeriodFrames: 256, inputSlots: 64) {}
        for frame in stride(from: UInt64(0), to: 512, by: 64) {
            _ = bridge.output.push(TimedMIDIMessage(frame: frame, message: .noteOn(channel: 0, note: 60, velocity: 1)))
        }
        let configuration = ALSACaptureConfiguration(
            deviceName: "testin", configurationText: Self.configurationText(infile: fixture.path),
            frameLimit: UInt64(frames))
        let (device, blocks) = try Self.capture(configuration, bridge: bridge)
        #expect(device.sampleFormat == .float32)
        #expect(blocks.flatMap(\.samples) == [Float](repeating: 0.25, count: frames))
        #expect(device.discardedMIDIMessages == 8)
        #expect(bridge.output.isEmpty)
    }

    @Test("The engine is woken once per block, and stop() ends an endless capture promptly")
    func wakeAndStop() throws {
        let wakes = WakeCounter()
        let bridge = RealtimeBridge(maxPeriodFrames: 256, inputSlots: 8) { wakes.increment() }
        // `null` returns zeros without pacing, so the small ring fills and further blocks are dropped.
        let configuration = ALSACaptureConfiguration(
            deviceName: "nullin", configurationText: "pcm.nullin { type null }")
        let device = try ALSACaptureDevice(configuration: configuration, bridge: bridge)
        try device.start()
        #expect(device.state == .running)
        let deadline = Date().addingTimeInterval(5)
        while bridge.counters.cycles < 100 && Date() < deadline { usleep(1_000) }
        let started = Date()
        device.stop()
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(device.state == .stopped)
        #expect(bridge.counters.cycles >= 100)
        #expect(UInt64(wakes.value) == bridge.counters.cycles)
        #expect(bridge.input.pendingBlocks == 8)
        #expect(bridge.counters.droppedInputBlocks == bridge.counters.cycles - 8)
    }

    @Test("Restarting after stop() continues the stream clock past the pause")
    func restartContinuesClock() throws {
        let bridge = RealtimeBridge(maxPeriodFrames: 256, inputSlots: 4) {}
        let configuration = ALSACaptureConfiguration(
            deviceName: "nullin", configurationText: "pcm.nullin { type null }")
        let device = try ALSACaptureDevice(configuration: configuration, bridge: bridge)
        try device.start()
        while bridge.counters.cycles < 10 { usleep(1_000) }
        device.stop()
        let pausedAt = device.streamFrame
        var block = AudioBlock(startFrame: 0, sampleRate: 48_000, samples: [])
        while bridge.input.pop(into: &block) {}
        usleep(200_000)
        try device.start()
        let deadline = Date().addingTimeInterval(5)
        while !bridge.input.pop(into: &block) && Date() < deadline { usleep(1_000) }
        device.stop()
        // 0.2 s at 48 kHz is 9600 frames; the pause may only look longer (scheduling), never shorter.
        #expect(block.startFrame >= pausedAt + 9_600 - 256)
        #expect(block.startFrame < pausedAt + 5 * 48_000)
    }

    @Test("A missing input file fails to open with ENOENT named in one clear error")
    func missingInfile() throws {
        let configuration = ALSACaptureConfiguration(
            deviceName: "testin", configurationText: Self.configurationText(infile: "/nonexistent/musichal.raw"))
        let device = try ALSACaptureDevice(
            configuration: configuration, bridge: RealtimeBridge(maxPeriodFrames: 256) {})
        #expect(throws: ALSAError.cannotOpenPCM(device: "testin", reason: "No such file or directory")) {
            try device.start()
        }
        #expect(device.state == .idle)
    }

    @Test("A card that does not exist fails to open cleanly")
    func missingCard() throws {
        let device = try ALSACaptureDevice(
            configuration: ALSACaptureConfiguration(deviceName: "hw:7,0"),
            bridge: RealtimeBridge(maxPeriodFrames: 256) {})
        #expect {
            try device.start()
        } throws: { error in
            guard let error = error as? ALSAError, case .cannotOpenPCM(let name, _) = error else { return false }
            return name == "hw:7,0" && error.description.hasPrefix("cannot open ALSA capture device 'hw:7,0': ")
        }
    }

    @Test("Malformed configuration text is reported as such")
    func malformedConfiguration() throws {
        let device = try ALSACaptureDevice(
            configuration: ALSACaptureConfiguration(deviceName: "x", configurationText: "pcm.x { type"),
            bridge: RealtimeBridge(maxPeriodFrames: 256) {})
        #expect {
            try device.start()
        } throws: { error in
            guard let error = error as? ALSAError, case .invalidConfigurationText = error else { return false }
            return true
        }
    }

    @Test(
        "Out-of-range settings are refused when the device is created",
        arguments: [
            ALSACaptureConfiguration(deviceName: ""), ALSACaptureConfiguration(channels: 0),
            ALSACaptureConfiguration(sampleRate: 1_000), ALSACaptureConfiguration(periodFrames: 1),
            ALSACaptureConfiguration(periodCount: 1), ALSACaptureConfiguration(realtimePriority: 100),
        ])
    func invalidSettings(_ configuration: ALSACaptureConfiguration) {
        #expect {
            try ALSACaptureDevice(configuration: configuration, bridge: RealtimeBridge(maxPeriodFrames: 256) {})
        } throws: { error in
            guard let error = error as? ALSAError, case .invalidConfiguration = error else { return false }
            return true
        }
    }
}

/// Counts engine wake-ups (called from the capture thread).
final class WakeCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
