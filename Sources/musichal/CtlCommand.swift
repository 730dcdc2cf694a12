import ArgumentParser
import Foundation
import Improviser
import MusicHalApp

/// `musichal ctl ADDRESS [ARGS...]`: a small OSC client for the daemon.
struct CtlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Send one OSC message to the daemon and print the replies; --watch prints the status stream.",
        discussion: """
            Arguments are typed by their look: 12 is an integer, 0.5 a float, anything else a string (force a \
            string with a leading ':', e.g. :42). Examples: musichal ctl /hal/ping; musichal ctl /hal/mode lead; \
            musichal ctl /hal/param/density 0.8; musichal ctl /hal/status; musichal ctl --watch.
            """
    )

    @Argument(help: "OSC address, e.g. /hal/status (not needed with --watch).")
    var address: String?

    @Argument(help: "Arguments.")
    var arguments: [String] = []

    @Option(name: .long, help: "Daemon host.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Daemon OSC port.")
    var port = 7770

    @Option(name: .long, help: "Seconds to wait for replies.")
    var timeout = 1.0

    @Flag(name: .long, help: "Subscribe to the status stream and print it until interrupted.")
    var watch = false

    func validate() throws {
        guard watch || address != nil else { throw ValidationError("give an OSC address, or --watch") }
        if let address, !address.hasPrefix("/") { throw ValidationError("an OSC address starts with '/'") }
    }

    func run() throws {
        let client = try CommandFailure.wrap { try OSCControlClient(host: host, port: port) }
        if watch {
            try CommandFailure.wrap {
                try client.send(ControlMessage(address: "/hal/notify", arguments: [.int(1), .int(250)]))
            }
            var renewed = Date()
            while true {
                for message in client.receive(timeout: 1) { printLine(message.description) }
                if Date().timeIntervalSince(renewed) > 30 {
                    try? client.send(ControlMessage(address: "/hal/notify", arguments: [.int(1), .int(250)]))
                    renewed = Date()
                }
            }
        }
        let message = ControlMessage(address: address ?? "/hal/ping", arguments: arguments.map(Self.value))
        try CommandFailure.wrap { try client.send(message) }
        let replies = client.receive(timeout: timeout)
        if replies.isEmpty {
            CommandFailure.report("no reply from \(host):\(port) within \(timeout) s (is musichal run up?)")
            throw ExitCode.failure
        }
        for reply in replies { printLine(reply.description) }
        if replies.contains(where: { $0.address == "/hal/fail" }) { throw ExitCode.failure }
    }

    /// An argument typed by its look.
    static func value(_ text: String) -> ControlValue {
        if text.hasPrefix(":") { return .string(String(text.dropFirst())) }
        if let integer = Int32(text) { return .int(integer) }
        if let number = Float(text), text.contains(".") || text.contains("e") { return .float(number) }
        return .string(text)
    }
}
