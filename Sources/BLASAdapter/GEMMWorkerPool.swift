import COpenBLAS
import Glibc
import Synchronization

/// One `cblas_sgemm` call's arguments (row-major).
struct GEMMJob {
    var transposeA = false
    var transposeB = false
    var m = 0
    var n = 0
    var k = 0
    var alpha: Float = 1
    var a: UnsafePointer<Float>?
    var lda = 1
    var b: UnsafePointer<Float>?
    var ldb = 1
    var beta: Float = 0
    var c: UnsafeMutablePointer<Float>?
    var ldc = 1

    func run() {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

/// A chunk of element-wise work: a pointer to the caller's (non-escaping) closure and the range to run.
typealias ChunkBody = (Range<Int>) -> Void

/// What a worker runs next.
enum WorkItem {
    case idle
    case gemm(GEMMJob)
    /// Points at a `ChunkBody` that the posting thread keeps alive until the worker reports completion.
    case chunk(UnsafeRawPointer, Range<Int>)

    func run() {
        switch self {
        case .idle: break
        case .gemm(let job): job.run()
        case .chunk(let body, let range): body.assumingMemoryBound(to: ChunkBody.self).pointee(range)
        }
    }
}

/// A worker thread that runs one GEMM part (or chunk of element-wise work) at a time. It spins for up to about
/// a millisecond waiting for the next job (the encoder issues them microseconds apart), then sleeps on a
/// condition variable, so an idle process burns no CPU.
final class GEMMWorker: @unchecked Sendable {
    // `job` is written by the posting thread before `posted` is incremented (release) and read by the worker
    // after it observes the increment (acquire); `finished` publishes the results back the same way.
    var job = WorkItem.idle
    let posted = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    let sleeping = Atomic<Bool>(false)
    let stopping = Atomic<Bool>(false)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread = pthread_t()
    /// The generation last posted (touched only by the posting thread).
    private var expected = 0

    /// Spin iterations (atomic loads) before sleeping: around a millisecond.
    static let spinLimit = 2_000_000

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(
            &thread, nil,
            { context in
                let worker = Unmanaged<GEMMWorker>.fromOpaque(context!).takeRetainedValue()
                worker.loop()
                return nil
            }, context)
    }

    /// Hands `job` to the worker.
    func post(_ job: WorkItem) {
        self.job = job
        expected = posted.add(1, ordering: .sequentiallyConsistent).newValue
        if sleeping.load(ordering: .sequentiallyConsistent) {
            pthread_mutex_lock(mutex)
            pthread_cond_signal(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Waits (spinning: the worker's part is about as long as the caller's) until the last job is done.
    func wait() {
        while finished.load(ordering: .acquiring) != expected {}
    }

    /// Stops the thread and waits for it.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(condition)
        mutex.deallocate()
        condition.deallocate()
    }

    private func loop() {
        var seen = 0
        while true {
            var spins = 0
            while posted.load(ordering: .acquiring) == seen && spins < Self.spinLimit
                && !stopping.load(ordering: .relaxed)
            {
                spins += 1
            }
            if posted.load(ordering: .sequentiallyConsistent) == seen {
                pthread_mutex_lock(mutex)
                sleeping.store(true, ordering: .sequentiallyConsistent)
                // Dekker-style: the poster increments `posted` then reads `sleeping`; we set `sleeping` then
                // re-read `posted`, so one of us sees the other and no wake-up is lost.
                while posted.load(ordering: .sequentiallyConsistent) == seen
                    && !stopping.load(ordering: .sequentiallyConsistent)
                {
                    pthread_cond_wait(condition, mutex)
                }
                sleeping.store(false, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            seen = posted.load(ordering: .acquiring)
            job.run()
            job = .idle
            finished.store(seen, ordering: .releasing)
        }
    }
}
