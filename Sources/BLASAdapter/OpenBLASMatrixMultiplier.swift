import COpenBLAS
public import NeuralFeatures
import Synchronization

/// `MatrixMultiplier` on OpenBLAS's `cblas_sgemm` (row-major).
///
/// With `threads: 1` (the daemon's setting: the other core serves audio) every call runs single-threaded on
/// the caller's thread. With more threads the multiplier splits each large product into independent column
/// (or row) blocks, one single-threaded sgemm per thread on its own workers: for the encoder's skinny products
/// (24 × 768 × 3072 and the like) that measured about 20 % faster than OpenBLAS's threading, whose workers
/// also busy-wait between calls. Creating a multiplier therefore sets OpenBLAS's process-wide thread count
/// to 1. Never call it from the audio callback: every sgemm takes a mutex in OpenBLAS's buffer allocator.
public final class OpenBLASMatrixMultiplier: MatrixMultiplier, @unchecked Sendable {
    // Immutable after init except through the `inUse` flag, which serialises use of the workers' job slots.
    /// Threads each large product is spread over.
    public let threadCount: Int
    private let workers: [GEMMWorker]
    private let inUse = Atomic<Bool>(false)

    /// Products smaller than this many multiply-adds run on the caller's thread alone.
    static let splitThreshold = 1_000_000
    /// Smallest block a thread gets along the split dimension.
    static let minimumBlock = 32

    /// Creates a multiplier using `threads` threads (the caller's plus `threads − 1` workers).
    public init(threads: Int = 1) {
        threadCount = max(1, min(threads, 64))
        OpenBLASRuntime.setThreadCount(1)
        workers = (1..<threadCount).map { _ in GEMMWorker() }
    }

    deinit { for worker in workers { worker.stop() } }

    /// See `MatrixMultiplier.multiply`.
    public func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // BLAS leaves C untouched for k = 0 only when beta = 1; spell the definition out.
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        let job = GEMMJob(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
            ldb: ldb, beta: beta, c: c, ldc: ldc)
        let splitColumns = n >= m
        let length = splitColumns ? n : m
        let parts = min(threadCount, length / Self.minimumBlock)
        guard parts > 1, m * n * k >= Self.splitThreshold,
            inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            job.run()
            return
        }
        defer { inUse.store(false, ordering: .releasing) }
        // Block boundaries on multiples of 16 (the sgemm kernels' register blocking).
        func boundary(_ index: Int) -> Int { index == parts ? length : (length * index / parts) / 16 * 16 }
        for index in 1..<parts {
            workers[index - 1].post(
                .gemm(block(of: job, from: boundary(index), to: boundary(index + 1), columns: splitColumns)))
        }
        block(of: job, from: 0, to: boundary(1), columns: splitColumns).run()
        for index in 1..<parts { workers[index - 1].wait() }
    }

    /// See `MatrixMultiplier.forEachChunk(of:minimumChunk:_:)`: ranges are spread over the workers.
    public func forEachChunk(of count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = min(threadCount, count / max(minimumChunk, 1))
        guard parts > 1, inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            body(0..<count)
            return
        }
        defer { inUse.store(false, ordering: .releasing) }
        func boundary(_ index: Int) -> Int { index == parts ? count : count * index / parts }
        // The closure outlives no call: every worker finishes (and drops its reference) before we return.
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                for index in 1..<parts {
                    workers[index - 1].post(.chunk(UnsafeRawPointer(pointer), boundary(index)..<boundary(index + 1)))
                }
                body(0..<boundary(1))
                for index in 1..<parts { workers[index - 1].wait() }
            }
        }
    }

    /// The part of `job` that computes C's columns (or rows) `start..<end`.
    private func block(of job: GEMMJob, from start: Int, to end: Int, columns: Bool) -> GEMMJob {
        var part = job
        if columns {
            part.n = end - start
            part.b = job.b! + (job.transposeB ? start * job.ldb : start)
            part.c = job.c! + start
        } else {
            part.m = end - start
            part.a = job.a! + (job.transposeA ? start : start * job.lda)
            part.c = job.c! + start * job.ldc
        }
        return part
    }
}

/// OpenBLAS's process-wide settings and identity.
public enum OpenBLASRuntime: Sendable {
    /// Sets the number of OpenBLAS's own worker threads for the whole process (at least 1).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, min(count, 64))))
    }

    /// The current number of OpenBLAS threads.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The kernel family chosen for this CPU (e.g. "Haswell", "SkylakeX"); log it with every benchmark.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The build configuration string, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...".
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }
}
