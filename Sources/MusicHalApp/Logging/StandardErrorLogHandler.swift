import BLASAdapter
import Foundation
import Glibc
public import Logging

/// A swift-log handler writing one line per message to standard error.
///
/// When standard error is connected to the systemd journal (`JOURNAL_STREAM` names its device and inode),
/// each line starts with a syslog priority prefix `<N>` so journald records the level, and carries no
/// timestamp (the journal adds its own). Otherwise lines read `2026-11-22T12:00:00Z warning musichal: text`.
public struct StandardErrorLogHandler: LogHandler {
    /// Minimum level written.
    public var logLevel: Logger.Level
    /// Metadata attached to every message of this logger.
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let journal: Bool

    /// Creates a handler for `label`.
    public init(label: String, level: Logger.Level, journal: Bool) {
        self.label = label
        logLevel = level
        self.journal = journal
    }

    /// Metadata lookup.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one message.
    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let details = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        // One entry per line: newlines inside a message would split it in the journal.
        let text = "\(event.message)".replacingOccurrences(of: "\n", with: " ")
        let body = details.isEmpty ? text : "\(text) \(details)"
        let line: String
        if journal {
            line = "<\(Self.syslogPriority(event.level))>\(body)\n"
        } else {
            let time = ISO8601DateFormatter().string(from: Date())
            line = "\(time) \(event.level) \(label): \(body)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// The syslog priority journald expects for a swift-log level.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// True when standard error is the journal stream named by `JOURNAL_STREAM` (`device:inode`).
    public static func standardErrorIsJournal(environment: [String: String]? = nil) -> Bool {
        guard let stream = (environment ?? ProcessInfo.processInfo.environment)["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}

/// Installs the process-wide logging backend once, and settles other process-wide state every command needs.
public enum LoggingSetup {
    /// Bootstraps swift-log: `notice` and above by default, `debug` with `verbose`. Also keeps OpenBLAS to one
    /// thread: its idle workers spin, stealing the core the audio thread needs (the neural encoder asks for
    /// more threads explicitly when it wants them).
    public static func bootstrap(verbose: Bool) {
        OpenBLASRuntime.setThreadCount(1)
        let journal = StandardErrorLogHandler.standardErrorIsJournal()
        let level: Logger.Level = verbose ? .debug : .notice
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, level: level, journal: journal) }
    }
}
