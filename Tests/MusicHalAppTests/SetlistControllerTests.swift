import AudioFeatures
import FFTWAdapter
import Foundation
import Improviser
import MIDICore
import ModelFormat
import MusicHalCore
import OracleCore
import Synchronization
import Testing

@testable import MusicHalApp

/// A small model over a scale (events as the listener would make them), enough to swap in.
private func scaleModel(_ pitches: [Int]) throws -> MusicHalModel {
    let rate = 48_000.0
    var events: [MusicalEvent] = []
    for (index, pitch) in pitches.enumerated() {
        var chroma = [Float](repeating: 0, count: 12)
        chroma[pitch % 12] = 1
        let f0 = PitchMath.hertz(midiPitch: Double(pitch))
        let features = EventFeatureLayout.features(
            EventFeatureLayout.Inputs(
                chroma: chroma, pitches: [Double(pitch)], f0: f0,
                previousF0: index > 0 ? PitchMath.hertz(midiPitch: Double(pitches[index - 1])) : nil, confidence: 0.95,
                centroid: f0 * 3, levelDB: -15, interOnset: 0.25, previousInterOnset: 0.25))
        let onset = FrameTime(Double(index) * 0.25 * rate)
        events.append(
            MusicalEvent(
                onsetFrame: onset, offsetFrame: onset + 10_000, midiPitch: Double(pitch), f0Hz: f0,
                pitchConfidence: 0.95,
                pitches: [pitch], velocity: 80, levelDB: -15, interOnsetFrames: 12_000, centroidHz: f0 * 3,
                features: features))
    }
    var oracle = try VariableMarkovOracle(dimension: EventFeatureLayout.dimension, threshold: 0.3)
    try oracle.append(contentsOf: events.map { $0.features.values.map(Double.init) })
    let metadata = ModelMetadata(
        musicHalVersion: "test", createdAt: "now", analysisSampleRate: rate, featureLayoutVersion: 1,
        thresholdWasAutomatic: false, sources: [])
    return try MusicHalModel(metadata: metadata, events: events, oracle: oracle)
}

private let setlistText = """
    name: Test set
    pieces:
      - name: Opening
        model: a
        mode: imitate
        duration_minutes: 8
        parameters: {density: 0.4}
        midi: {bank_msb: 1, bank_lsb: 2, program: 41}
      - name: Ballad
        model: b
        mode: lead
        parameters: {density: 0.25, melody_low: 60, melody_high: 84}
        midi: {program: 1}
      - name: Broken
        model: broken
      - name: Reprise
        model: b
      - name: Missing
        model: nowhere

    """

/// A control center with a setlist controller over a models directory holding `a`, `b` and a damaged `broken`,
/// replies to a loopback peer captured for the test.
private final class Rig: Sendable {
    let directory: URL
    let library: ModelLibrary
    let commands = CommandQueue()
    let setlists: SetlistController
    let control: ControlCenter
    let sent = Outbox()
    let peer = ControlPeer(host: "127.0.0.1", port: 9)
    let setlistPath: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("setlist-\(UUID().uuidString)")
        let models = directory.appendingPathComponent("models").path
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        let store = ModelDirectory(path: models)
        try store.saveModel(try scaleModel([60, 62, 64, 65, 67, 69, 71, 72]), named: "a")
        try store.saveModel(try scaleModel([57, 59, 60, 62, 64, 65, 67, 69]), named: "b")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try store.filePath(forModel: "a")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: try store.filePath(forModel: "broken")))
        setlistPath = directory.appendingPathComponent("set.yaml").path
        try setlistText.write(toFile: setlistPath, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(
            atPath: directory.appendingPathComponent("setlists").path, withIntermediateDirectories: true)
        library = ModelLibrary(store: store)
        setlists = SetlistController(
            library: library, directory: directory.appendingPathComponent("setlists").path,
            baseParameters: AgentParameters())
        control = ControlCenter(
            commands: commands, library: library, subscriptions: Subscriptions(), allowed: [],
            initial: ControlCenter.DesiredState(
                mode: .contrast, parameters: AgentParameters(), learning: false, channels: .default, mpe: false,
                zone: try MPEZone(.lower), modelName: nil),
            setlists: setlists)
        control.connect(
            send: { [sent] message, _ in sent.messages.withLock { $0.append(message) } }, sendBundle: { _, _ in },
            status: { StatusSnapshot() }, audioDown: { false }, modelSnapshot: { nil })
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func handle(_ address: String, _ arguments: [ControlValue] = []) -> [ControlMessage] {
        control.handle([ControlMessage(address: address, arguments: arguments)], from: peer)
    }

    /// Waits for the next reply sent later (a switch's `/hal/done` or `/hal/fail`) and takes it.
    func later(timeout: Double = 5) -> ControlMessage? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let reply: ControlMessage? = sent.messages.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let reply { return reply }
            Thread.sleep(forTimeInterval: 0.002)
        }
        return nil
    }

    /// The batches queued for the engine since the last call, as command kinds.
    func batches() -> [[String]] { commands.drain().map { $0.map(kind) } }

    func status(_ address: String) -> ControlValue? {
        control.statusMessages().first { $0.address == address }?.arguments.first
    }
}

/// Replies sent later, captured.
private final class Outbox: Sendable {
    let messages = Mutex<[ControlMessage]>([])
}

private func kind(_ command: EngineCommand) -> String {
    switch command {
    case .replaceModel(let name, _): "model \(name ?? "none")"
    case .panic: "panic"
    case .setMode(let mode): "mode \(mode.rawValue)"
    case .setParameters(let parameters): "density \(parameters.density)"
    case .selectPatch(let patch): "patch \(patch.program)"
    case .startArc(let minutes, _): "arc \(minutes)"
    case .stopArc: "no arc"
    default: "other"
    }
}

private func done(_ address: String, _ index: Int32, _ name: String) -> ControlMessage {
    ControlMessage(address: "/hal/done", arguments: [.string(address), .int(index), .string(name)])
}

@Suite("Setlist controller", .serialized)
struct SetlistControllerTests {
    @Test("starting with a setlist queues piece 0 as one batch, sets the desired state and preloads piece 1")
    func begin() throws {
        let rig = try Rig()
        try rig.setlists.begin(path: rig.setlistPath, host: rig.control)
        #expect(rig.batches() == [["model a", "mode imitate", "density 0.4", "patch 40", "arc 8.0"]])
        #expect(rig.control.state.modelName == "a" && rig.control.state.mode == .imitate)
        #expect(rig.status("/hal/status/setlist/piece") == .int(0))
        #expect(rig.status("/hal/status/setlist/name") == .string("Opening"))
        #expect(
            rig.handle("/hal/setlist") == [
                ControlMessage(
                    address: "/hal/setlist", arguments: [.string("Test set"), .int(0), .int(5), .string("Opening")])
            ])
        let deadline = Date().addingTimeInterval(5)
        while !rig.library.cachedNames.contains("b") && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(rig.library.cachedNames == ["a", "b"], "piece 1's model is preloaded")
    }

    @Test("next, prev and goto put pieces in place: one batch each, the desired state follows, echoes go out")
    func stepping() throws {
        let rig = try Rig()
        try rig.setlists.begin(path: rig.setlistPath, host: rig.control)
        _ = rig.batches()
        _ = rig.control.takeEchoes()

        #expect(rig.handle("/hal/setlist/next").isEmpty, "the answer comes once the model is ready")
        #expect(rig.later() == done("/hal/setlist/next", 1, "Ballad"))
        #expect(rig.batches() == [["model b", "mode lead", "density 0.25", "patch 0", "no arc"]])
        #expect(rig.handle("/hal/mode") == [ControlMessage(address: "/hal/mode", arguments: [.string("lead")])])
        #expect(rig.handle("/hal/param/melody_low").first?.arguments == [.float(60)])
        #expect(rig.status("/hal/status/setlist/piece") == .int(1))
        let echoes = rig.control.takeEchoes()
        #expect(echoes.contains { $0.address == "/hal/setlist" && $0.arguments[1] == .int(1) })
        #expect(echoes.contains { $0.address == "/hal/mode" && $0.arguments == [.string("lead")] })

        // Same model as the piece before: it stays as the engine has it; a panic starts the piece. The mode the
        // piece does not name stays; the parameters it does not name return to the configuration's.
        #expect(rig.handle("/hal/setlist/goto", [.int(3)]).isEmpty)
        #expect(rig.later() == done("/hal/setlist/goto", 3, "Reprise"))
        #expect(rig.batches() == [["panic", "density 0.5", "no arc"]])
        #expect(rig.control.state.mode == .lead)
        #expect(rig.handle("/hal/param/melody_low").first?.arguments == [.float(55)])

        // Back to piece 2, whose model is damaged: refused, and Reprise stays in place.
        #expect(rig.handle("/hal/setlist/prev").isEmpty)
        #expect(rig.later()?.address == "/hal/fail")
        #expect(rig.setlists.current.index == 3 && rig.batches().isEmpty)
    }

    @Test("edges, bad indices and a missing setlist are refused at once with the reason; nothing changes")
    func refusals() throws {
        let rig = try Rig()
        func failure(_ address: String, _ arguments: [ControlValue] = []) -> [ControlValue]? {
            rig.handle(address, arguments).first { $0.address == "/hal/fail" }?.arguments
        }
        let none = try #require(failure("/hal/setlist/next"))
        #expect(none.last == .int(409) && none[1].text?.hasPrefix("no setlist is loaded") == true)
        #expect(rig.handle("/hal/setlist").first?.arguments == [.string(""), .int(-1), .int(0), .string("")])
        #expect(rig.status("/hal/status/setlist/piece") == .int(-1))

        try rig.setlists.begin(path: rig.setlistPath, host: rig.control)
        _ = rig.batches()
        #expect(
            failure("/hal/setlist/prev") == [
                .string("/hal/setlist/prev"), .string("already at the first piece (0 'Opening')"), .int(409),
            ])
        #expect(
            failure("/hal/setlist/goto", [.int(5)]) == [
                .string("/hal/setlist/goto"), .string("piece 5 does not exist: the setlist has 5 pieces (0...4)"),
                .int(400),
            ])
        #expect(failure("/hal/setlist/goto", [.int(-1)])?.last == .int(400))
        #expect(failure("/hal/setlist/goto", [.float(1.5)])?.last == .int(400))
        #expect(failure("/hal/setlist/goto", [.string("two")])?.last == .int(400))
        #expect(failure("/hal/setlist/load", [.string("../etc/passwd")])?.last == .int(400))
        #expect(failure("/hal/setlist/load", [.string("/etc/passwd")])?.last == .int(400))
        #expect(rig.setlists.current.index == 0 && rig.batches().isEmpty, "refused steps change nothing")
    }

    @Test("a piece whose model cannot be loaded refuses the switch; the running piece stays in place")
    func badModel() throws {
        let rig = try Rig()
        try rig.setlists.begin(path: rig.setlistPath, host: rig.control)
        _ = rig.batches()
        for (index, code, words) in [(2, Int32(500), "checksum"), (4, Int32(404), "no model named 'nowhere'")] {
            #expect(rig.handle("/hal/setlist/goto", [.int(Int32(index))]).isEmpty)
            let reply = try #require(rig.later())
            #expect(reply.address == "/hal/fail" && reply.arguments.first == .string("/hal/setlist/goto"))
            #expect(reply.arguments.last == .int(code))
            let reason = reply.arguments[1].text ?? ""
            #expect(
                reason.contains("piece \(index)") && reason.contains(words) && reason.contains("keeps playing"),
                "\(reason)")
        }
        #expect(rig.batches().isEmpty)
        #expect(rig.setlists.current.index == 0 && rig.control.state.modelName == "a")
        // The next good step still works.
        _ = rig.handle("/hal/setlist/next")
        #expect(rig.later() == done("/hal/setlist/next", 1, "Ballad"))
    }

    @Test("/hal/setlist/load NAME reads <state>/setlists/NAME.yaml and puts its first piece in place")
    func loadByName() throws {
        let rig = try Rig()
        try "name: Encore\npieces:\n  - {name: Last, model: b, mode: listen}\n".write(
            toFile: rig.setlists.directory + "/encore.yaml", atomically: true, encoding: .utf8)
        #expect(rig.handle("/hal/setlist/load", [.string("encore")]).isEmpty)
        #expect(rig.later() == done("/hal/setlist/load", 0, "Last"))
        #expect(rig.batches() == [["model b", "mode listen", "density 0.5", "no arc"]])
        #expect(rig.handle("/hal/setlist").first?.arguments == [.string("Encore"), .int(0), .int(1), .string("Last")])
        #expect(rig.handle("/hal/setlist/load", [.string("absent")]).isEmpty)
        let missing = try #require(rig.later())
        #expect(missing.arguments.last == .int(404) && missing.arguments[1].text?.contains("absent.yaml") == true)
        try "pieces:\n  - {model: b, tempo: 3}\n".write(
            toFile: rig.setlists.directory + "/typo.yaml", atomically: true, encoding: .utf8)
        #expect(rig.handle("/hal/setlist/load", [.string("typo")]).isEmpty)
        let typo = try #require(rig.later())
        #expect(typo.arguments.last == .int(400))
        #expect(typo.arguments[1].text?.contains("typo.yaml:2: pieces[0].tempo: unknown key") == true, "\(typo)")
        #expect(rig.handle("/hal/setlist").first?.arguments[0] == .string("Encore"), "the loaded setlist stays")
    }

    @Test("reload: a bad file keeps the running setlist; a good one replaces it, keeping the piece in place")
    func reload() throws {
        let rig = try Rig()
        try rig.setlists.begin(path: rig.setlistPath, host: rig.control)
        _ = rig.handle("/hal/setlist/goto", [.int(3)])
        #expect(rig.later() == done("/hal/setlist/goto", 3, "Reprise"))
        _ = rig.batches()

        try "pieces:\n  - {model: a, mode: shouting}\n".write(
            toFile: rig.setlistPath, atomically: true, encoding: .utf8)
        var base = AgentParameters()
        base.density = 0.7
        let refused = rig.setlists.reload(path: rig.setlistPath, base: base, host: rig.control)
        let description = refused.map(String.init(describing:)) ?? ""
        #expect(description.hasPrefix("setlist NOT reloaded, keeping the running one: "))
        #expect(description.contains("set.yaml:2: pieces[0].mode: 'shouting' is not one of"), "\(description)")
        #expect(rig.setlists.current == (index: 3, name: "Reprise"))
        // The piece keeps its values over the reloaded configuration: no model swap, no panic, no patch.
        #expect(rig.batches() == [["density 0.7"]])

        try "pieces:\n  - {model: a}\n  - {name: Coda, model: b, mode: lead}\n".write(
            toFile: rig.setlistPath, atomically: true, encoding: .utf8)
        #expect(
            rig.setlists.reload(path: rig.setlistPath, base: base, host: rig.control)
                == .reloaded(rig.setlistPath))
        #expect(rig.setlists.current == (index: 1, name: "Coda"), "the index is kept inside the shorter list")
        #expect(rig.batches() == [["mode lead", "density 0.7"]])
    }

    @Test("a piece whose parameters contradict the configuration's is refused when the setlist is read")
    func parametersAgainstConfiguration() throws {
        let rig = try Rig()
        try "pieces:\n  - {model: a}\n  - {model: b, parameters: {melody_low: 75}}\n".write(
            toFile: rig.setlistPath, atomically: true, encoding: .utf8)
        #expect(throws: Never.self) { try SetlistController.read(path: rig.setlistPath, base: AgentParameters()) }
        var base = AgentParameters()
        try base.set([(name: "melody_low", value: 40), (name: "melody_high", value: 80)])
        #expect {
            try SetlistController.read(path: rig.setlistPath, base: base)
        } throws: { error in
            let description = (error as? SetlistError)?.description ?? ""
            return description.hasPrefix("\(rig.setlistPath): pieces[1].parameters: ")
                && description.contains("agent.parameters")
        }
    }

    @Test("agent.setlist is relative to the configuration file; --setlist is taken as given")
    func paths() {
        var options = DaemonOptions()
        var configuration = MusicHalConfiguration()
        options.configurationPath = "/etc/musichal/musichal.yaml"
        #expect(SetlistController.path(options: options, configuration: configuration) == nil)
        configuration.agent.setlist = "sets/friday.yaml"
        #expect(
            SetlistController.path(options: options, configuration: configuration)
                == "/etc/musichal/sets/friday.yaml")
        configuration.agent.setlist = "/srv/friday.yaml"
        #expect(SetlistController.path(options: options, configuration: configuration) == "/srv/friday.yaml")
        options.setlist = "here.yaml"
        #expect(SetlistController.path(options: options, configuration: configuration) == "here.yaml")
    }
}
