import Dispatch
import Foundation
import Glibc
import MusicHalApp
import Synchronization

/// Set when SIGINT or SIGTERM arrives, so long jobs stop between steps and leave no partial output.
final class CancellationFlag: @unchecked Sendable {
    // @unchecked: `sources` is written only inside `installed()`, before the flag is shared; it just keeps
    // the signal sources alive.
    private let flag = Atomic<Bool>(false)
    private var sources: [any DispatchSourceSignal] = []

    /// Whether a signal arrived.
    var isSet: Bool { flag.load(ordering: .relaxed) }

    /// A flag set by SIGINT and SIGTERM from now on.
    static func installed() -> CancellationFlag {
        let cancellation = CancellationFlag()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { cancellation.flag.store(true, ordering: .relaxed) }
            source.resume()
            cancellation.sources.append(source)
        }
        return cancellation
    }
}

/// Training progress on standard error: a bar redrawn in place on a terminal, plain lines every 10 % otherwise.
final class ProgressDisplay {
    private let isTerminal = isatty(2) == 1
    private var lastDecile = -1
    private var drawn = false

    func update(_ progress: TrainingProgress) {
        let percent = Int(progress.fraction * 100)
        let label =
            progress.fileCount > 1
            ? "[\(progress.fileIndex + 1)/\(progress.fileCount)] \(progress.fileName)" : progress.fileName
        if isTerminal {
            let width = 30
            let filled = min(width, Int(progress.fraction * Double(width)))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            write("\r\(bar) \(String(format: "%3d", percent))% \(label)\u{1B}[K")
            drawn = true
        } else {
            let decile = percent / 10
            let key = progress.fileIndex * 11 + decile
            if key != lastDecile {
                lastDecile = key
                write("analysing \(label): \(percent)%\n")
            }
        }
    }

    func end() {
        if drawn { write("\r\u{1B}[K") }
        drawn = false
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
