import CSystemd
public import MusicHalCore

/// `HealthNotifier` over libsystemd's sd_notify. Without `NOTIFY_SOCKET` (not under systemd) every call is a
/// no-op, so the daemon behaves the same in a terminal.
public struct SystemdNotifier: HealthNotifier {
    /// Creates the notifier.
    public init() {}

    /// See `HealthNotifier.ready`.
    public func ready(status: String) { notify("READY=1\nSTATUS=\(oneLine(status))") }

    /// See `HealthNotifier.status`.
    public func status(_ line: String) { notify("STATUS=\(oneLine(line))") }

    /// See `HealthNotifier.watchdog`.
    public func watchdog() { notify("WATCHDOG=1") }

    /// See `HealthNotifier.reloading`.
    public func reloading(status: String) { notify("RELOADING=1\nSTATUS=\(oneLine(status))") }

    /// See `HealthNotifier.stopping`.
    public func stopping(status: String) { notify("STOPPING=1\nSTATUS=\(oneLine(status))") }

    /// See `HealthNotifier.watchdogTimeoutMicroseconds`.
    public var watchdogTimeoutMicroseconds: UInt64? {
        var microseconds: UInt64 = 0
        return sd_watchdog_enabled(0, &microseconds) > 0 && microseconds > 0 ? microseconds : nil
    }

    private func notify(_ text: String) { _ = sd_notify(0, text) }

    /// STATUS= must be one line.
    private func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
