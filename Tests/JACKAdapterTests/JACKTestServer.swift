import Foundation
import Glibc
import Synchronization

@testable import JACKAdapter

/// A private jackd (dummy backend) for one test: a unique name per instance, started as a plain child process
/// whose PID the test keeps, so the test only ever signals the server it started (platform.md §5).
final class JACKTestServer {
    private static let counter = Atomic<Int>(0)

    /// The server name, e.g. `mh1234_3`.
    let name: String
    /// Frames per period.
    let period: Int
    /// Sample rate.
    let sampleRate = 48_000
    private(set) var pid: pid_t = 0

    /// Starts a server and waits until it accepts clients.
    init(period: Int = 256) throws {
        name = "mh\(getpid())_\(Self.counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        self.period = period
        try launch()
    }

    deinit { shutDown() }

    private var logPath: String { "/tmp/jackd-\(name).log" }

    /// Starts jackd under this name and polls the client-open shim every 50 ms until it answers (at most 10 s).
    func launch() throws {
        precondition(pid == 0, "server \(name) is already running")
        let arguments = ["jackd", "-n", name, "-d", "dummy", "-r", "\(sampleRate)", "-p", "\(period)"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawnp(&child, "jackd", &actions, nil, &argv, environ)
        guard result == 0 else { throw TestFailure("cannot start jackd: error \(result)") }
        pid = child
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if JACKDevice.serverIsAvailable(serverName: name) { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                throw TestFailure("jackd \(name) exited at start-up: \(log())")
            }
            usleep(50_000)
        }
        throw TestFailure("jackd \(name) did not answer within 10 s")
    }

    /// Signals the server and reaps it.
    func kill(signal: Int32 = SIGTERM) {
        guard pid != 0 else { return }
        Glibc.kill(pid, signal)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }

    /// Stops the server if it runs and removes what a killed server left in /dev/shm under this server's name
    /// (a SIGKILL leaves its socket and semaphores; a SIGTERM with clients attached leaves their semaphores).
    func shutDown() {
        kill(signal: SIGTERM)
        if let leftovers = try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm") {
            for file in leftovers where file.hasPrefix("jack_\(name)_") || file.contains("_\(name)_") {
                try? FileManager.default.removeItem(atPath: "/dev/shm/\(file)")
            }
        }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// The server's output so far (for failure messages).
    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// A test precondition that could not be met, with a message.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every millisecond until it holds or `timeout` seconds pass; true when it held.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}
