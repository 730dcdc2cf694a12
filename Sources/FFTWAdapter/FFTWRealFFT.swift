public import AudioFeatures
import CFFTW
import Synchronization

/// FFTW's planner is not thread-safe: every plan creation and destruction goes through this lock.
private let plannerLock = Mutex(())

/// A real FFT executed by FFTW (single precision). Plans are made once at creation with `FFTW_ESTIMATE`,
/// so results do not depend on planner timing; execution does not allocate.
public final class FFTWRealFFT: RealFFT {
    /// Number of real samples per transform.
    public let size: Int
    private let timeDomain: UnsafeMutablePointer<Float>
    private let frequencyDomain: UnsafeMutablePointer<fftwf_complex>
    private let forwardPlan: OpaquePointer
    private let inversePlan: OpaquePointer

    /// Plans forward and inverse transforms of `size` points.
    public init(size: Int) {
        precondition(size >= 4 && size & (size - 1) == 0, "FFT size must be a power of two")
        self.size = size
        let bins = size / 2 + 1
        let (time, frequency, forward, inverse) = plannerLock.withLock { _ in
            let time = fftwf_alloc_real(size)!
            let frequency = fftwf_alloc_complex(bins)!
            let flags = UInt32(FFTW_ESTIMATE)
            let forward = fftwf_plan_dft_r2c_1d(Int32(size), time, frequency, flags)!
            let inverse = fftwf_plan_dft_c2r_1d(Int32(size), frequency, time, flags)!
            return (time, frequency, forward, inverse)
        }
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

    /// See `RealFFT.forward`.
    public func forward(
        _ input: UnsafePointer<Float>, real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>
    ) {
        timeDomain.update(from: input, count: size)
        fftwf_execute(forwardPlan)
        for bin in 0...size / 2 {
            real[bin] = frequencyDomain[bin].0
            imaginary[bin] = frequencyDomain[bin].1
        }
    }

    /// See `RealFFT.inverse`.
    public func inverse(
        real: UnsafePointer<Float>, imaginary: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        for bin in 0...size / 2 { frequencyDomain[bin] = (real[bin], imaginary[bin]) }
        fftwf_execute(inversePlan)  // c2r overwrites its input, which is ours to lose
        output.update(from: timeDomain, count: size)
    }
}

/// Provides FFTW-backed FFTs.
public struct FFTWProvider: FFTProvider {
    /// Creates the provider.
    public init() {}

    /// See `FFTProvider.makeRealFFT`.
    public func makeRealFFT(size: Int) -> any RealFFT { FFTWRealFFT(size: size) }
}
