import Foundation
import OracleCore

/// `musichal oracle`: builds a Factor Oracle or a VMO from JSON input and prints it in vmo's conventions, so
/// anyone can check MusicHal against vmo 0.30.5 (state 0 = root, `sfx[0]` = null, `symbols[0]` = null for
/// continuous input).
public enum OracleTool {
    /// What to build.
    public enum Input: Sendable {
        /// `{"frames": [[Double]]}` with a fixed threshold or a threshold search over a grid.
        case frames(path: String, threshold: Threshold)
        /// `{"symbols": [Int]}`.
        case symbols(path: String)
    }

    /// A fixed threshold or an information-rate search.
    public enum Threshold: Sendable {
        /// Use this threshold.
        case fixed(Double)
        /// Search `numpy.arange(start, stop, step)` for the highest information rate.
        case automatic(start: Double, stop: Double, step: Double)
    }

    /// A problem with the input file, naming it.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    private struct FramesFile: Decodable { let frames: [[Double]] }
    private struct SymbolsFile: Decodable { let symbols: [Int] }

    /// Builds the oracle and returns the JSON text. With `timing`, also measures the build and each
    /// insertion (for benchmarks) and adds `build_seconds` (wall clock, the median of `repeats` builds after the
    /// first), `build_cpu_seconds` (the same builds' thread CPU time), `build_first_seconds`,
    /// `build_first_cpu_seconds`, `build_times` and insertion percentiles in microseconds.
    public static func run(_ input: Input, timing: Bool = false, repeats: Int = 1) throws -> String {
        switch input {
        case .symbols(let path):
            let symbols: [Int] = try decode(SymbolsFile.self, path: path).symbols
            guard !symbols.isEmpty else { throw Failure(description: "\(path): \"symbols\" is empty") }
            let start = DispatchTime.now()
            var oracle = FactorOracle()
            oracle.reserveCapacity(symbols.count)
            oracle.append(contentsOf: symbols)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            var fields = structureFields(oracle, symbols: [0] + symbols.map { Optional($0) })
            if timing { fields.append(("build_seconds", "\(seconds)")) }
            return object(fields)
        case .frames(let path, let threshold):
            let frames = try decode(FramesFile.self, path: path).frames
            guard let dimension = frames.first?.count else {
                throw Failure(description: "\(path): \"frames\" is empty")
            }
            var fields: [(String, String)] = []
            let chosen: Double
            switch threshold {
            case .fixed(let value):
                chosen = value
            case .automatic(let start, let stop, let step):
                let grid = try ThresholdGrid(start: start, stop: stop, step: step)
                let search = try findThreshold(frames: frames, grid: grid)
                chosen = search.threshold
                fields.append(("threshold", "\(search.threshold)"))
                fields.append(("ir", "\(search.irSum)"))
            }
            // Validate every frame first, so a bad frame leaves nothing half-built and is reported by index.
            if let bad = frames.firstIndex(where: { $0.count != dimension }) {
                throw Failure(
                    description: "\(path): frame \(bad) has \(frames[bad].count) values, frame 0 has \(dimension)")
            }
            // A build is timed like vmo's `build_oracle`: create the oracle and add every frame, nothing else. The
            // frames are one contiguous matrix, as vmo's are (a NumPy array). The thread's CPU time leaves out the
            // time the thread waits for a core on a shared machine.
            let matrix = frames.flatMap { $0 }
            func build() throws -> (oracle: VariableMarkovOracle, seconds: Double, cpuSeconds: Double) {
                let cpuStart = threadCPUSeconds()
                let start = DispatchTime.now()
                var oracle = try VariableMarkovOracle(dimension: dimension, threshold: chosen)
                try oracle.append(contiguousFrames: matrix)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                return (oracle, seconds, threadCPUSeconds() - cpuStart)
            }
            // The process's first build pays one-time costs (fresh pages, cold code and caches, runtime metadata).
            let first = try build()
            var oracle = first.oracle
            var seconds = first.seconds
            var insertions: [Double] = []
            if timing {
                // Insertion latencies come from a separate build, so that reading the clock around every frame
                // does not inflate the build time.
                insertions = try insertionMicroseconds(frames, dimension: dimension, threshold: chosen) {
                    (timed: VariableMarkovOracle) throws in
                    guard timed == first.oracle else {
                        throw Failure(description: "\(path): frame-by-frame and batch construction differ")
                    }
                }
                // vmo is timed by repeated builds in one warm Python process, each oracle replacing the previous one
                // once built; time builds the same way here (median), and report the first one too.
                fields.append(("build_first_seconds", "\(seconds)"))
                fields.append(("build_first_cpu_seconds", "\(first.cpuSeconds)"))
                var times: [Double] = []
                var cpuTimes: [Double] = []
                for _ in 0..<max(1, repeats) {
                    let next = try build()
                    guard next.oracle == first.oracle else {
                        throw Failure(description: "\(path): two batch constructions differ")
                    }
                    times.append(next.seconds)
                    cpuTimes.append(next.cpuSeconds)
                    oracle = next.oracle
                }
                fields.append(("build_times", list(times.map { "\($0)" })))
                fields.append(("build_cpu_seconds", "\(cpuTimes.sorted()[cpuTimes.count / 2])"))
                seconds = times.sorted()[times.count / 2]
            }
            fields += structureFields(oracle, symbols: oracle.labels.map { $0 < 0 ? nil : $0 })
            if timing {
                insertions.sort()
                let percentile = { (p: Double) in
                    insertions[min(insertions.count - 1, Int(p * Double(insertions.count)))]
                }
                fields.append(("build_seconds", "\(seconds)"))
                fields.append(("labels", "\(oracle.labelCount)"))
                fields.append(("insert_p50_us", "\(percentile(0.5))"))
                fields.append(("insert_p99_us", "\(percentile(0.99))"))
                fields.append(("insert_max_us", "\(insertions.last ?? 0)"))
            }
            return object(fields)
        }
    }

    /// Builds an oracle from `frames` one frame at a time, timing every insertion (microseconds); `check` sees the
    /// result.
    private static func insertionMicroseconds(
        _ frames: [[Double]], dimension: Int, threshold: Double, check: (VariableMarkovOracle) throws -> Void
    ) throws -> [Double] {
        var timed = try VariableMarkovOracle(dimension: dimension, threshold: threshold)
        timed.reserveCapacity(frames.count)
        var insertions: [Double] = []
        insertions.reserveCapacity(frames.count)
        for frame in frames {
            let before = DispatchTime.now().uptimeNanoseconds
            try timed.append(frame)
            insertions.append(Double(DispatchTime.now().uptimeNanoseconds - before) / 1e3)
        }
        try check(timed)
        return insertions
    }

    /// CPU time of the calling thread, in seconds.
    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Failure(description: "\(path): cannot be read")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw Failure(description: "\(path): not the expected JSON (\(describe(error)))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .keyNotFound(let key, _): return "missing key \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "at \(path): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func structureFields(_ oracle: some OracleGraph, symbols: [Int?]) -> [(String, String)] {
        [
            ("sfx", list(oracle.suffixLinks.map { $0 < 0 ? "null" : String($0) })),
            ("lrs", list(oracle.lrs.map(String.init))),
            ("trn", list(oracle.transitions.map { list($0.map(String.init)) })),
            ("rsfx", list(oracle.reverseSuffixLinks.map { list($0.map(String.init)) })),
            ("symbols", list(symbols.map { $0.map(String.init) ?? "null" })),
        ]
    }

    private static func list(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    private static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}
