import Foundation

/// Runs the built `musichal` executable as a subprocess, the way a user does.
struct CommandRunner {
    struct Result {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// The executable beside the test binary in the build directory.
    static let executable: String = {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("musichal").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return testBinary.deletingLastPathComponent().appendingPathComponent("musichal").path
    }()

    /// The package root, from this source file.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A private home directory so runs never touch the user's models.
    let home: URL

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("musichal-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: home) }

    /// Starts `musichal ARGS`; returns the process (already running) and its output pipes.
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment.removeValue(forKey: "XDG_DATA_HOME")
        environment.removeValue(forKey: "STATE_DIRECTORY")
        environment.removeValue(forKey: "JOURNAL_STREAM")
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "WATCHDOG_USEC")
        environment.merge(extra) { $1 }
        process.environment = environment
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        return (process, output, error)
    }

    /// Runs `musichal ARGS` to completion.
    func run(_ arguments: [String]) throws -> Result {
        let (process, output, error) = try start(arguments)
        // Read both pipes while the process runs, so a full pipe cannot block it.
        var outData = Data()
        var errData = Data()
        let group = DispatchGroup()
        let outBox = DataBox()
        let errBox = DataBox()
        DispatchQueue.global().async(group: group) { outBox.data = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errBox.data = error.fileHandleForReading.readDataToEndOfFile() }
        process.waitUntilExit()
        group.wait()
        outData = outBox.data
        errData = errBox.data
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self))
    }
}

/// Holds pipe output read on another queue.
final class DataBox: @unchecked Sendable {
    // @unchecked: written once by one queue before the group is waited on, read after.
    var data = Data()
}
