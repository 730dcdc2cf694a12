/// Fast approximations for the per-hop hot path, where a libm call per spectral bin would dominate.
enum FastMath {
    /// log2(x) for x > 0, accurate to about 1e-4 (exponent from the bits, a quartic on the mantissa).
    @inline(__always)
    static func log2(_ x: Float) -> Float {
        let bits = x.bitPattern
        let exponent = Float(Int32(bitPattern: (bits >> 23) & 0xFF) - 127)
        let mantissa = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)  // in [1, 2)
        // Least-squares fit at Chebyshev nodes of log2(m) on [1, 2); maximum error 1.0e-4.
        let m = mantissa
        let polynomial = (((-0.080010877 * m + 0.635511117) * m - 2.099402281) * m + 4.049616893) * m - 2.505614662
        return exponent + polynomial
    }

    /// log10(x) for x > 0 via `log2`.
    @inline(__always)
    static func log10(_ x: Float) -> Float { log2(x) * 0.30102999566 }

    /// `log2` on eight lanes at once.
    @inline(__always)
    static func log2(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let exponent = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: (bits &>> 23) & 0xFF) &- 127)
        let m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: SIMD8<Float>.self)
        var polynomial = SIMD8<Float>(repeating: -0.080010877) * m + 0.635511117
        polynomial = polynomial * m - 2.099402281
        polynomial = polynomial * m + 4.049616893
        polynomial = polynomial * m - 2.505614662
        return exponent + polynomial
    }
}
