import MusicHalCore
import NeuralFeatures
import Testing

@Suite("Symmetric eigendecomposition")
struct SymmetricEigenTests {
    /// A random orthogonal matrix (Gram-Schmidt on Gaussian-ish columns), row-major.
    static func orthogonal(_ n: Int, seed: UInt64) -> [Double] {
        var random = SeededRandomGenerator(seed: seed)
        var columns: [[Double]] = []
        while columns.count < n {
            var v = (0..<n).map { _ in random.nextUnit() * 2 - 1 }
            for u in columns {
                let dot = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<n { v[i] -= dot * u[i] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 1e-3 else { continue }
            columns.append(v.map { $0 / norm })
        }
        var q = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { q[i * n + j] = columns[j][i] }
        }
        return q
    }

    /// Q·diag(values)·Qᵀ.
    static func compose(_ q: [Double], _ values: [Double]) -> [Double] {
        let n = values.count
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for k in 0..<n { sum += q[i * n + k] * values[k] * q[j * n + k] }
                a[i * n + j] = sum
            }
        }
        return a
    }

    /// max |A·v − λ·v| over all pairs, and max |vᵢ·vⱼ − δᵢⱼ|.
    static func residuals(_ a: [Double], _ e: SymmetricEigendecomposition) -> (Double, Double) {
        let n = e.values.count
        var residual = 0.0
        var orthogonality = 0.0
        for (index, v) in e.vectors.enumerated() {
            for i in 0..<n {
                var sum = 0.0
                for j in 0..<n { sum += a[i * n + j] * v[j] }
                residual = max(residual, abs(sum - e.values[index] * v[i]))
            }
            for (other, w) in e.vectors.enumerated() {
                let dot = zip(v, w).reduce(0) { $0 + $1.0 * $1.1 }
                orthogonality = max(orthogonality, abs(dot - (index == other ? 1 : 0)))
            }
        }
        return (residual, orthogonality)
    }

    @Test("2×2 and diagonal matrices have their textbook answers")
    func smallKnown() throws {
        let two = try SymmetricEigendecomposition(symmetric: [2, 1, 1, 2], dimension: 2)
        #expect(abs(two.values[0] - 3) < 1e-12 && abs(two.values[1] - 1) < 1e-12)
        let s = 0.5.squareRoot()
        #expect(abs(two.vectors[0][0] - s) < 1e-12 && abs(two.vectors[0][1] - s) < 1e-12)
        #expect(abs(abs(two.vectors[1][0]) - s) < 1e-12 && abs(two.vectors[1][0] + two.vectors[1][1]) < 1e-12)
        let diagonal = try SymmetricEigendecomposition(symmetric: [1, 0, 0, 0, 5, 0, 0, 0, -2], dimension: 3)
        #expect(diagonal.values == [5, 1, -2])
        #expect(diagonal.vectors == [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
        let one = try SymmetricEigendecomposition(symmetric: [4], dimension: 1)
        #expect(one.values == [4] && one.vectors == [[1]])
    }

    @Test("recovers the spectrum and axes of Q·Λ·Qᵀ", arguments: [3, 8, 40])
    func constructed(n: Int) throws {
        let q = Self.orthogonal(n, seed: UInt64(n))
        let values = (0..<n).map { Double(n - $0) * 1.5 - 4 }
        let a = Self.compose(q, values)
        let e = try SymmetricEigendecomposition(symmetric: a, dimension: n)
        for i in 0..<n { #expect(abs(e.values[i] - values[i]) < 1e-9 * Double(n)) }
        for i in 0..<n {
            // The eigenvector equals ±(column i of Q).
            let dot = (0..<n).reduce(0.0) { $0 + e.vectors[i][$1] * q[$1 * n + i] }
            #expect(abs(abs(dot) - 1) < 1e-9)
        }
        let (residual, orthogonality) = Self.residuals(a, e)
        #expect(residual < 1e-9 && orthogonality < 1e-9)
    }

    @Test("repeated and zero eigenvalues still give an orthonormal basis")
    func degenerate() throws {
        let n = 12
        let q = Self.orthogonal(n, seed: 99)
        let values: [Double] = [7, 7, 7, 3, 3, 0, 0, 0, 0, -1, -1, -1]
        let a = Self.compose(q, values)
        let e = try SymmetricEigendecomposition(symmetric: a, dimension: n)
        for i in 0..<n { #expect(abs(e.values[i] - values[i]) < 1e-9) }
        let (residual, orthogonality) = Self.residuals(a, e)
        #expect(residual < 1e-9 && orthogonality < 1e-9)
        let zero = try SymmetricEigendecomposition(symmetric: [Double](repeating: 0, count: 16), dimension: 4)
        #expect(zero.values == [0, 0, 0, 0])
    }

    @Test("rejects bad input")
    func rejects() {
        #expect(throws: NeuralFeaturesError.self) {
            try SymmetricEigendecomposition(symmetric: [1, 2, 3], dimension: 2)
        }
        #expect(throws: NeuralFeaturesError.self) { try SymmetricEigendecomposition(symmetric: [.nan], dimension: 1) }
    }
}
