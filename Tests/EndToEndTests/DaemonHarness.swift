import Foundation
import Glibc
import Testing

/// Receives sd_notify datagrams the way systemd does: an AF_UNIX datagram socket whose path goes to the
/// daemon in NOTIFY_SOCKET. (systemd itself is not PID 1 here; the protocol is one datagram per message.)
final class NotifyListener: @unchecked Sendable {
    // @unchecked: `messages` is guarded by `lock`; the socket is read by one thread.
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var messages: [(Date, String)] = []
    private var open = true

    init(directory: URL) throws {
        path = directory.appendingPathComponent("notify.sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while lock.withLock({ open }) {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    let text = String(decoding: buffer[0..<count], as: UTF8.self)
                    lock.withLock { messages.append((Date(), text)) }
                }
            }
        }
        thread.start()
    }

    func close() {
        lock.withLock { open = false }
        Thread.sleep(forTimeInterval: 0.15)
        Glibc.close(fd)
        unlink(path)
    }

    var all: [(Date, String)] { lock.withLock { messages } }

    /// Waits until a datagram contains `text`.
    @discardableResult
    func wait(for text: String, timeout: Double = 10) -> Date? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let found = all.first(where: { $0.1.contains(text) }) { return found.0 }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }
}

/// `musichal run` as a subprocess with audio and MIDI backends off, a free OSC port, and a notify listener.
final class DaemonHarness: @unchecked Sendable {
    // @unchecked: tests use it from their own thread plus, at most, one helper thread that only sends OSC.
    let runner: CommandRunner
    let process: Process
    let notify: NotifyListener
    let port: Int
    let configPath: String
    /// What the daemon logged so far: read as it comes, so a long run never blocks on a full pipe.
    private let errorLog = PipeCollector()

    init(
        configuration: String = "audio: {backend: none}\nmidi: {backend: none}\n", arguments: [String] = [],
        watchdogMicroseconds: Int = 400_000
    ) throws {
        runner = try CommandRunner()
        notify = try NotifyListener(directory: runner.home)
        configPath = runner.home.appendingPathComponent("musichal.yaml").path
        try configuration.write(toFile: configPath, atomically: true, encoding: .utf8)
        let portFile = runner.home.appendingPathComponent("port").path
        let (process, _, error) = try runner.start(
            ["run", "--config", configPath, "--osc-port", "0", "--port-file", portFile] + arguments,
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": String(watchdogMicroseconds)])
        self.process = process
        errorLog.collect(error)
        let deadline = Date().addingTimeInterval(20)
        var port = 0
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
                let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                port = value
                break
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        self.port = port
    }

    /// Runs the python-osc peer: sends `messages` and returns the replies as (address, args).
    func python(_ messages: [String], bundle: Bool = false, wait: Double = 0.8) throws -> [(String, [Any])] {
        let peer = CommandRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/osc_peer.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", peer, String(port)] + (bundle ? ["--bundle"] : []) + ["--wait", String(wait)] + messages
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let address = object["address"] as? String
            else { return nil }
            return (address, object["args"] as? [Any] ?? [])
        }
    }

    /// Sends SIGTERM and waits; returns the exit status and the seconds it took.
    func terminate() -> (status: Int32, seconds: Double) {
        let start = Date()
        process.terminate()
        process.waitUntilExit()
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    /// Standard error so far (all of it once the daemon exited).
    var standardError: String {
        if !process.isRunning { errorLog.waitForEnd(timeout: 2) }
        return errorLog.text
    }

    func cleanUp() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        notify.close()
        runner.cleanUp()
    }
}

/// Reads a pipe on its own thread until it closes, keeping everything.
final class PipeCollector: @unchecked Sendable {
    // @unchecked: `data` is guarded by `lock`.
    private let lock = NSLock()
    private var data = Data()
    private let ended = DispatchSemaphore(value: 0)

    func collect(_ pipe: Pipe) {
        Thread { [self] in
            while case let chunk = pipe.fileHandleForReading.availableData, !chunk.isEmpty {
                lock.withLock { data.append(chunk) }
            }
            ended.signal()
        }.start()
    }

    /// Waits until the pipe closed (the writer exited).
    func waitForEnd(timeout: Double) {
        if ended.wait(timeout: .now() + timeout) == .success { ended.signal() }
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
