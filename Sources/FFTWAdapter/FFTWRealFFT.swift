public import AudioFeatures
import CFFTW
import Synchronization

/// FFTW's planner is not thread-safe: every plan creation and destruction goes through this lock.
private let plannerLock = Mutex(())

/// A real FFT executed by FFTW (single precision). Plans are made once at creation with `FFTW_ESTIMATE`,
/// so results do not depend on planner timing; execution does not allocate. The plans run on the buffers this
/// object owns (FFTW-aligned), which callers fill and read directly.
public final class FFTWRealFFT: RealFFT {
    /// Number of real samples per transform.
    public let size: Int
    /// See `RealFFT.timeDomain`.
    public let timeDomain: UnsafeMutablePointer<Float>
    /// See `RealFFT.frequencyDomain`.
    public let frequencyDomain: UnsafeMutablePointer<Float>
    private let forwardPlan: OpaquePointer
    private let inversePlan: OpaquePointer

    /// Plans forward and inverse transforms of `size` points.
    public init(size: Int) {
        precondition(size >= 4 && size & (size - 1) == 0, "FFT size must be a power of two")
        self.size = size
        let (time, frequency, forward, inverse) = plannerLock.withLock { _ in
            let time = fftwf_alloc_real(size)!
            // Interleaved (re, im) floats: the layout of `fftwf_complex`, which Swift never touches as such.
            let frequency = fftwf_alloc_real(size + 2)!
            let complex = UnsafeMutableRawPointer(frequency).assumingMemoryBound(to: fftwf_complex.self)
            let flags = UInt32(FFTW_ESTIMATE)
            let forward = fftwf_plan_dft_r2c_1d(Int32(size), time, complex, flags)!
            let inverse = fftwf_plan_dft_c2r_1d(Int32(size), complex, time, flags)!
            return (time, frequency, forward, inverse)
        }
        time.initialize(repeating: 0, count: size)
        frequency.initialize(repeating: 0, count: size + 2)
        timeDomain = time
        frequencyDomain = frequency
        forwardPlan = forward
        inversePlan = inverse
    }

    deinit {
        plannerLock.withLock { _ in
            fftwf_destroy_plan(forwardPlan)
            fftwf_destroy_plan(inversePlan)
            fftwf_free(timeDomain)
            fftwf_free(frequencyDomain)
        }
    }

    /// See `RealFFT.forward`. An out-of-place r2c plan leaves its input unchanged.
    public func forward() { fftwf_execute(forwardPlan) }

    /// See `RealFFT.inverse`. c2r overwrites `frequencyDomain`, as the protocol allows.
    public func inverse() { fftwf_execute(inversePlan) }
}

/// Provides FFTW-backed FFTs.
public struct FFTWProvider: FFTProvider {
    /// Creates the provider.
    public init() {}

    /// See `FFTProvider.makeRealFFT`.
    public func makeRealFFT(size: Int) -> any RealFFT { FFTWRealFFT(size: size) }
}
