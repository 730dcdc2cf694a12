/// Tells the service manager how the daemon is doing (systemd's sd_notify protocol in production).
///
/// Every method is a no-op when no service manager listens, so the daemon runs the same from a terminal.
public protocol HealthNotifier: Sendable {
    /// The daemon is ready to serve (audio, MIDI and control are up).
    func ready(status: String)
    /// A one-line human status.
    func status(_ line: String)
    /// A liveness ping for the watchdog.
    func watchdog()
    /// The daemon is reloading its configuration.
    func reloading(status: String)
    /// The daemon is shutting down.
    func stopping(status: String)
    /// The watchdog period the manager expects pings within (half of it is a safe ping interval), if enabled.
    var watchdogTimeoutMicroseconds: UInt64? { get }
}
