/// Single-precision general matrix multiplication, row-major, shaped like BLAS `sgemm`:
/// `C = alpha · op(A) · op(B) + beta · C`, with `op(A)` of size m×k, `op(B)` k×n and C m×n.
///
/// The encoder does its heavy arithmetic through this protocol, so the same forward pass runs on OpenBLAS
/// (`BLASAdapter`) in the app and on `ReferenceMatrixMultiplier` in the pure tests.
public protocol MatrixMultiplier: Sendable {
    /// Computes `C = alpha · op(A) · op(B) + beta · C`.
    ///
    /// - Parameters:
    ///   - transposeA: Whether `op(A) = Aᵀ` (A is then stored k×m).
    ///   - transposeB: Whether `op(B) = Bᵀ` (B is then stored n×k).
    ///   - lda: Row stride of A as stored (≥ its column count).
    ///   - ldb: Row stride of B as stored.
    ///   - beta: 0 means C's previous contents are ignored (they may be anything, even NaN).
    ///   - ldc: Row stride of C (≥ n).
    func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)

    /// Calls `body` on disjoint ranges covering `0..<count`, possibly at the same time on the multiplier's
    /// threads, and returns when all are done; no range is shorter than `minimumChunk` unless `count` is.
    /// The encoder runs its element-wise work (GELU, norms) through it. The default calls `body(0..<count)`.
    func forEachChunk(of count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void)
}

extension MatrixMultiplier {
    /// Runs `body(0..<count)` on the calling thread.
    public func forEachChunk(of count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        if count > 0 { body(0..<count) }
    }
}

/// A plain-Swift `MatrixMultiplier`: exact loop order, no threads, no dependencies; for tests and as a fallback.
public struct ReferenceMatrixMultiplier: MatrixMultiplier {
    /// Creates the multiplier.
    public init() {}

    /// See `MatrixMultiplier.multiply`.
    public func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        for i in 0..<m {
            let cRow = c + i * ldc
            // Scale (or clear) C's row first, then accumulate into it: no scratch memory needed.
            if beta == 0 {
                cRow.update(repeating: 0, count: n)
            } else if beta != 1 {
                for j in 0..<n { cRow[j] *= beta }
            }
            if transposeB {
                // Row i of op(A) dotted with row j of B.
                for j in 0..<n {
                    var sum: Float = 0
                    let bRow = b + j * ldb
                    if transposeA {
                        for p in 0..<k { sum += a[p * lda + i] * bRow[p] }
                    } else {
                        let aRow = a + i * lda
                        for p in 0..<k { sum += aRow[p] * bRow[p] }
                    }
                    cRow[j] += alpha * sum
                }
            } else {
                // Accumulates rows of B scaled by op(A)[i, p]; the inner loop is contiguous.
                for p in 0..<k {
                    let scale = alpha * (transposeA ? a[p * lda + i] : a[i * lda + p])
                    let bRow = b + p * ldb
                    for j in 0..<n { cRow[j] += scale * bRow[j] }
                }
            }
        }
    }
}
