import Foundation
import Glibc

/// A Python peer (Tests/EndToEndTests/Peers) as a child process: its stderr lines are collected as they come
/// (progress and READY-style signals), its stdout is collected in full for the result, and closing its stdin
/// asks it to finish.
final class PeerProcess: @unchecked Sendable {
    // @unchecked: `lines` and `output` are guarded by `lock`; the pipes are read by one thread each.
    let process: Process
    private let input = Pipe()
    private let lock = NSLock()
    private var lines: [(Date, String)] = []
    private var output = Data()
    private let outputDone = DispatchSemaphore(value: 0)

    init(_ script: String, _ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", CommandRunner.packageRoot.appendingPathComponent("Tests/EndToEndTests/Peers/\(script)").path]
            + arguments
        let standardOutput = Pipe()
        let standardError = Pipe()
        process.standardInput = input
        process.standardOutput = standardOutput
        process.standardError = standardError
        try process.run()
        Thread { [self] in
            let data = standardOutput.fileHandleForReading.readDataToEndOfFile()
            lock.withLock { output = data }
            outputDone.signal()
        }.start()
        Thread { [self] in
            var pending = Data()
            while case let chunk = standardError.fileHandleForReading.availableData, !chunk.isEmpty {
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lock.withLock { lines.append((Date(), line)) }
                }
            }
        }.start()
    }

    /// Stderr lines so far, with the time each arrived.
    var standardErrorLines: [(Date, String)] { lock.withLock { lines } }

    /// Waits until a stderr line starting with `prefix` arrives after the `skipping` earlier such lines; returns
    /// when it came, or nil on timeout or exit.
    @discardableResult
    func waitForLine(_ prefix: String, skipping: Int = 0, timeout: Double) -> Date? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found = standardErrorLines.filter { $0.1.hasPrefix(prefix) }
            if found.count > skipping { return found[skipping].0 }
            if !process.isRunning { return nil }
            usleep(2_000)
        }
        return nil
    }

    /// Writes one line to the peer's stdin.
    func sendLine(_ line: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Closes stdin (asking the peer to finish) and returns stdout once it exited; empty after `timeout`.
    func finish(timeout: Double = 30) -> Data {
        try? input.fileHandleForWriting.close()
        guard outputDone.wait(timeout: .now() + timeout) == .success else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            return Data()
        }
        process.waitUntilExit()
        return lock.withLock { output }
    }

    /// Stderr so far, for failure messages.
    var standardErrorText: String { standardErrorLines.map(\.1).joined(separator: "\n") }
}
