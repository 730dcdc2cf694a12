import MusicHalCore
import NeuralFeatures
import RealModule
import Testing

@Suite("Kernels and the reference GEMM")
struct KernelTests {
    @Test("the encoder's erf is within 4e-7 of RealModule's Float.erf everywhere")
    func erfAccuracy() {
        var worst: Float = 0
        var x: Float = -8
        while x <= 8 {
            worst = max(worst, abs(Activation.erf(x) - Float.erf(x)))
            x += 1.0 / 4096
        }
        #expect(worst <= 4e-7, "worst \(worst)")
        #expect(Activation.erf(0) == 0)
        #expect(Activation.erf(50) == 1 && Activation.erf(-50) == -1)
        #expect(Activation.erf(.infinity) == 1)
    }

    @Test("GELU is the exact erf form, not the tanh approximation")
    func geluForm() {
        for x: Float in [-4, -1.5, -0.3, 0, 0.7, 2, 3.5] {
            let exact = 0.5 * Double(x) * (1 + Double.erf(Double(x) / 2.0.squareRoot()))
            #expect(abs(Double(Activation.gelu(x)) - exact) <= 1e-6)
        }
        // At x = 1 the two forms differ by about 1.6e-4, which this check resolves.
        let tanhForm = 0.5 * (1 + Double.tanh((2 / Double.pi).squareRoot() * (1 + 0.044715)))
        #expect(abs(Double(Activation.gelu(1)) - tanhForm) > 1e-4)
    }

    static let shapes: [(Bool, Bool)] = [(false, false), (false, true), (true, false), (true, true)]

    @Test("ReferenceMatrixMultiplier computes alpha·op(A)·op(B) + beta·C with strides", arguments: shapes)
    func referenceGEMM(transposeA: Bool, transposeB: Bool) {
        var random = SeededRandomGenerator(seed: 7)
        let (m, n, k) = (5, 7, 3)
        let lda = (transposeA ? m : k) + 2
        let ldb = (transposeB ? k : n) + 1
        let ldc = n + 3
        let a = (0..<((transposeA ? k : m) * lda)).map { _ in Float(random.nextUnit() * 2 - 1) }
        let b = (0..<((transposeB ? n : k) * ldb)).map { _ in Float(random.nextUnit() * 2 - 1) }
        let original = (0..<(m * ldc)).map { _ in Float(random.nextUnit()) }
        for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (2, -0.25)] {
            var c = original
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        ReferenceMatrixMultiplier().multiply(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                            a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
                            c: pc.baseAddress!, ldc: ldc)
                    }
                }
            }
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Double = 0
                    for p in 0..<k {
                        let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                        let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                        sum += Double(av) * Double(bv)
                    }
                    let expected = Double(alpha) * sum + Double(beta) * Double(original[i * ldc + j])
                    #expect(abs(Double(c[i * ldc + j]) - expected) < 1e-5)
                }
                // Padding columns beyond n are untouched.
                for j in n..<ldc { #expect(c[i * ldc + j] == original[i * ldc + j]) }
            }
        }
    }

    @Test("beta = 0 ignores NaN already in C")
    func betaZeroIgnoresNaN() {
        var c: [Float] = [.nan, .nan]
        let a: [Float] = [1, 2]
        let b: [Float] = [3, 4]
        c.withUnsafeMutableBufferPointer { pc in
            ReferenceMatrixMultiplier().multiply(
                transposeA: false, transposeB: false, m: 1, n: 2, k: 1, alpha: 1, a: a, lda: 1, b: b, ldb: 2,
                beta: 0, c: pc.baseAddress!, ldc: 2)
        }
        #expect(c == [3, 4])
    }
}
