import Foundation
import Glibc

/// CPU and memory of this process, read from /proc for the status stream.
struct ProcessUsage {
    private var lastCPUSeconds: Double?
    private var lastWall: Double?

    /// CPU percent of one core since the previous call, and resident memory in MB.
    mutating func sample() -> (cpu: Double, residentMB: Double) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        let wall = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        var percent = 0.0
        if let lastCPUSeconds, let lastWall, wall > lastWall {
            percent = (cpu - lastCPUSeconds) / (wall - lastWall) * 100
        }
        lastCPUSeconds = cpu
        lastWall = wall
        return (percent, Self.residentMegabytes())
    }

    /// VmRSS from /proc/self/status, in MB.
    static func residentMegabytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kilobytes / 1024
        }
        return 0
    }
}
