import RealModule

/// A real-input FFT of one fixed size, planned once and executed many times.
///
/// The transform works in place on buffers it owns, so callers write their input straight into `timeDomain` and
/// read the bins straight from `frequencyDomain`: no copies in the per-hop path. Production code uses FFTW
/// through `FFTWAdapter`; `ReferenceFFT` is a small radix-2 implementation that lets the pure core and its tests
/// run without any C library. Implementations must not allocate in `forward` or `inverse`. An instance is used
/// by one thread at a time.
public protocol RealFFT: AnyObject {
    /// Number of real samples per transform (a power of two).
    var size: Int { get }

    /// `size` real samples: the input of `forward()`, which leaves it unchanged, and the output of `inverse()`.
    var timeDomain: UnsafeMutablePointer<Float> { get }

    /// `size / 2 + 1` complex bins as interleaved real and imaginary parts: the output of `forward()` and the
    /// input of `inverse()`, which may overwrite it.
    var frequencyDomain: UnsafeMutablePointer<Float> { get }

    /// Transforms `timeDomain` into `frequencyDomain`.
    func forward()

    /// Unnormalised inverse: `frequencyDomain` back to `timeDomain`, scaled by `size`.
    func inverse()
}

extension RealFFT {
    /// Copies `size` samples in, transforms them, and copies the `size / 2 + 1` bins out as split real and
    /// imaginary parts (a convenience for tests and setup code; the hot paths use the buffers directly).
    public func forward(
        _ input: UnsafePointer<Float>, real: UnsafeMutablePointer<Float>, imaginary: UnsafeMutablePointer<Float>
    ) {
        timeDomain.update(from: input, count: size)
        forward()
        for bin in 0...size / 2 {
            real[bin] = frequencyDomain[2 * bin]
            imaginary[bin] = frequencyDomain[2 * bin + 1]
        }
    }

    /// Copies split bins in, runs the unnormalised inverse, and copies the `size` samples out.
    public func inverse(
        real: UnsafePointer<Float>, imaginary: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        for bin in 0...size / 2 {
            frequencyDomain[2 * bin] = real[bin]
            frequencyDomain[2 * bin + 1] = imaginary[bin]
        }
        inverse()
        output.update(from: timeDomain, count: size)
    }
}

/// Makes FFTs of a requested size. Planning may allocate, so it happens at setup, never per block.
public protocol FFTProvider: Sendable {
    /// An FFT of `size` real samples; `size` must be a power of two of at least 4.
    func makeRealFFT(size: Int) -> any RealFFT
}

/// A plain-Swift radix-2 FFT: the reference the tests compare against and the fallback for the pure core.
///
/// Production code uses FFTW; this one exists so the pure modules and their tests need no C library. Buffers
/// are raw pointers so that unoptimised test builds stay fast enough.
public final class ReferenceFFT: RealFFT {
    /// Number of real samples per transform.
    public let size: Int
    /// See `RealFFT.timeDomain`.
    public let timeDomain: UnsafeMutablePointer<Float>
    /// See `RealFFT.frequencyDomain`.
    public let frequencyDomain: UnsafeMutablePointer<Float>
    private let re: UnsafeMutablePointer<Float>
    private let im: UnsafeMutablePointer<Float>
    private let cosTable: UnsafeMutablePointer<Float>
    private let sinTable: UnsafeMutablePointer<Float>
    private let bitReversed: UnsafeMutablePointer<Int>

    /// Creates an FFT of `size` points (a power of two, at least 4).
    public init(size: Int) {
        precondition(size >= 4 && size & (size - 1) == 0, "FFT size must be a power of two")
        self.size = size
        timeDomain = .allocate(capacity: size)
        timeDomain.initialize(repeating: 0, count: size)
        frequencyDomain = .allocate(capacity: size + 2)
        frequencyDomain.initialize(repeating: 0, count: size + 2)
        re = .allocate(capacity: size)
        im = .allocate(capacity: size)
        re.initialize(repeating: 0, count: size)
        im.initialize(repeating: 0, count: size)
        cosTable = .allocate(capacity: size / 2)
        sinTable = .allocate(capacity: size / 2)
        for k in 0..<size / 2 {
            cosTable[k] = Float(Double.cos(2 * Double.pi * Double(k) / Double(size)))
            sinTable[k] = Float(Double.sin(2 * Double.pi * Double(k) / Double(size)))
        }
        var bits = 0
        while 1 << bits < size { bits += 1 }
        bitReversed = .allocate(capacity: size)
        for index in 0..<size {
            var reversed = 0
            for bit in 0..<bits where index & (1 << bit) != 0 { reversed |= 1 << (bits - 1 - bit) }
            bitReversed[index] = reversed
        }
    }

    deinit {
        timeDomain.deallocate()
        frequencyDomain.deallocate()
        re.deallocate()
        im.deallocate()
        cosTable.deallocate()
        sinTable.deallocate()
        bitReversed.deallocate()
    }

    /// See `RealFFT.forward`.
    public func forward() {
        for index in 0..<size {
            re[bitReversed[index]] = timeDomain[index]
            im[bitReversed[index]] = 0
        }
        transform(sign: -1)
        for bin in 0...size / 2 {
            frequencyDomain[2 * bin] = re[bin]
            frequencyDomain[2 * bin + 1] = im[bin]
        }
    }

    /// See `RealFFT.inverse`.
    public func inverse() {
        let half = size / 2
        for bin in 0..<size {
            // Hermitian symmetry fills the upper half of the spectrum.
            if bin <= half {
                re[bitReversed[bin]] = frequencyDomain[2 * bin]
                im[bitReversed[bin]] = frequencyDomain[2 * bin + 1]
            } else {
                re[bitReversed[bin]] = frequencyDomain[2 * (size - bin)]
                im[bitReversed[bin]] = -frequencyDomain[2 * (size - bin) + 1]
            }
        }
        transform(sign: 1)
        timeDomain.update(from: re, count: size)
    }

    private func transform(sign: Float) {
        let re = self.re
        let im = self.im
        var length = 2
        while length <= size {
            let half = length / 2
            let stride = size / length
            var start = 0
            while start < size {
                var a = start
                var twiddle = 0
                while a < start + half {
                    let wr = cosTable[twiddle]
                    let wi = sign * sinTable[twiddle]
                    let b = a + half
                    let tr = re[b] * wr - im[b] * wi
                    let ti = re[b] * wi + im[b] * wr
                    re[b] = re[a] - tr
                    im[b] = im[a] - ti
                    re[a] += tr
                    im[a] += ti
                    a += 1
                    twiddle += stride
                }
                start += length
            }
            length <<= 1
        }
    }
}

/// Provides `ReferenceFFT`s.
public struct ReferenceFFTProvider: FFTProvider {
    /// Creates the provider.
    public init() {}

    /// See `FFTProvider.makeRealFFT`.
    public func makeRealFFT(size: Int) -> any RealFFT { ReferenceFFT(size: size) }
}
