import RealModule

// Element-wise and row-wise kernels of the forward pass. They work on raw pointers into preallocated scratch
// memory and are written as simple loops the optimiser vectorises.

/// Numerator coefficients of `erf(x) ≈ x·P(x²)/Q(x²)` on [0, 3.92], fitted for this project by weighted
/// least squares (Lawson iterations toward minimax). Evaluated in float32 the largest absolute error against
/// the exact erf is 3.7e-7 (the tests check it against RealModule's `Float.erf`).
private let erfP0: Float = 1.128_378_987_312_317
private let erfP1: Float = 0.192_763_119_935_989_38
private let erfP2: Float = 0.053_060_371_428_728_104
private let erfP3: Float = 0.003_868_291_387_334_466
private let erfP4: Float = 0.000_287_479_284_452_274_44
private let erfP5: Float = 2.034_750_650_636_851_8e-6
/// Denominator coefficients (the constant term is 1).
private let erfQ1: Float = 0.504_163_563_251_495_4
private let erfQ2: Float = 0.115_084_245_800_971_98
private let erfQ3: Float = 0.015_172_222_629_189_491
private let erfQ4: Float = 0.001_188_107_766_211_004_7
private let erfQ5: Float = 3.807_080_065_598_711_4e-5
/// Beyond this |x| erf rounds to 1 in float32.
private let erfClamp: Float = 3.92

/// erf(x) in float32 by one rational function: no branches and no libm call, so loops over it vectorise.
@inline(__always)
func fastErf(_ x: Float) -> Float {
    let a = min(x.magnitude, erfClamp)
    let t = a * a
    let p = ((((erfP5 * t + erfP4) * t + erfP3) * t + erfP2) * t + erfP1) * t + erfP0
    let q = ((((erfQ5 * t + erfQ4) * t + erfQ3) * t + erfQ2) * t + erfQ1) * t + 1
    // A select, not a branch: at and beyond the clamp erf is 1 to float32 precision.
    return Float(signOf: x, magnitudeOf: a >= erfClamp ? 1 : min(a * p / q, 1))
}

/// The exact-form GELU, `0.5·x·(1 + erf(x/√2))` (not the tanh approximation).
@inline(__always)
func gelu(_ x: Float) -> Float {
    0.5 * x * (1 + fastErf(x * 0.707_106_781_186_547_5))
}

/// Public access to the activation for tests and callers that need the same function.
public enum Activation: Sendable {
    /// The exact-form GELU as used by the encoder.
    public static func gelu(_ x: Float) -> Float { NeuralFeatures.gelu(x) }

    /// The encoder's float32 erf.
    public static func erf(_ x: Float) -> Float { fastErf(x) }
}

/// `x[i] = gelu(x[i])` over `range`.
func applyGELU(_ x: UnsafeMutablePointer<Float>, range: Range<Int>) {
    for i in range { x[i] = gelu(x[i]) }
}

/// `x[r, c] = gelu(x[r, c] + bias[c])` on `rows`.
func applyBiasGELU(_ x: UnsafeMutablePointer<Float>, rows: Range<Int>, width: Int, bias: UnsafePointer<Float>) {
    for r in rows {
        let row = x + r * width
        for c in 0..<width { row[c] = gelu(row[c] + bias[c]) }
    }
}

/// Copies `bias` into each of `rows` rows of `x` (row stride `stride`), so a GEMM with beta 1 adds onto it.
func fillRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int, with bias: UnsafePointer<Float>) {
    for r in 0..<rows { (x + r * stride).update(from: bias, count: width) }
}

/// `x[r, c] += bias[c]`.
func addRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
    for r in 0..<rows {
        let row = x + r * width
        for c in 0..<width { row[c] += bias[c] }
    }
}

/// Mean and biased variance of `count` values, accumulated in Double in two passes.
@inline(__always)
func meanAndVariance(_ x: UnsafePointer<Float>, count: Int) -> (mean: Double, variance: Double) {
    var sum = SIMD4<Double>()
    var index = 0
    while index + 4 <= count {
        sum += SIMD4<Double>(Double(x[index]), Double(x[index + 1]), Double(x[index + 2]), Double(x[index + 3]))
        index += 4
    }
    var total = sum.sum()
    while index < count {
        total += Double(x[index])
        index += 1
    }
    let mean = total / Double(count)
    var squares = SIMD4<Double>()
    index = 0
    let m = SIMD4<Double>(repeating: mean)
    while index + 4 <= count {
        let d = SIMD4<Double>(Double(x[index]), Double(x[index + 1]), Double(x[index + 2]), Double(x[index + 3])) - m
        squares += d * d
        index += 4
    }
    var squareTotal = squares.sum()
    while index < count {
        let d = Double(x[index]) - mean
        squareTotal += d * d
        index += 1
    }
    return (mean, squareTotal / Double(count))
}

/// LayerNorm over each row: `y = (x − mean)/sqrt(var + eps)·γ + β` (biased variance); `output` may equal `input`.
/// With `thenGELU` the activation is applied in the same pass.
func layerNorm(
    _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float, thenGELU: Bool = false
) {
    for r in 0..<rows {
        let source = input + r * width
        let target = output + r * width
        let (mean, variance) = meanAndVariance(source, count: width)
        let scale = Float(1 / (variance + Double(epsilon)).squareRoot())
        let shift = Float(mean)
        if thenGELU {
            for c in 0..<width { target[c] = gelu((source[c] - shift) * scale * weight[c] + bias[c]) }
        } else {
            for c in 0..<width { target[c] = (source[c] - shift) * scale * weight[c] + bias[c] }
        }
    }
}

/// GroupNorm with one group per channel on a time-major `[rows, width]` matrix, first half: the statistics of
/// `columns` over all rows (biased variance, in Double), turned into `y = x·scale + shift` factors
/// (`factors[c]` = scale, `factors[width + c]` = shift). `sums` needs `2·width` Doubles.
func channelNormFactors(
    _ x: UnsafePointer<Float>, rows: Int, width: Int, columns: Range<Int>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>, epsilon: Float, sums: UnsafeMutablePointer<Double>, factors: UnsafeMutablePointer<Float>
) {
    let mean = sums
    let variance = sums + width
    for c in columns {
        mean[c] = 0
        variance[c] = 0
    }
    for r in 0..<rows {
        let row = x + r * width
        for c in columns { mean[c] += Double(row[c]) }
    }
    let inverseRows = 1 / Double(rows)
    for c in columns { mean[c] *= inverseRows }
    for r in 0..<rows {
        let row = x + r * width
        for c in columns {
            let d = Double(row[c]) - mean[c]
            variance[c] += d * d
        }
    }
    for c in columns {
        let scale = Double(weight[c]) / (variance[c] * inverseRows + Double(epsilon)).squareRoot()
        factors[c] = Float(scale)
        factors[width + c] = Float(Double(bias[c]) - mean[c] * scale)
    }
}

/// Second half of the per-channel GroupNorm: `x = gelu(x·scale + shift)` on `rows`.
func applyChannelFactorsGELU(
    _ x: UnsafeMutablePointer<Float>, rows: Range<Int>, width: Int, factors: UnsafePointer<Float>
) {
    let scales = factors
    let shifts = factors + width
    for r in rows {
        let row = x + r * width
        for c in 0..<width { row[c] = gelu(row[c] * scales[c] + shifts[c]) }
    }
}

/// Softmax of each row of `[rows, width]` in place, subtracting the row maximum before `exp`.
func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for r in 0..<rows {
        let row = x + r * width
        var maximum = -Float.infinity
        for c in 0..<width { maximum = max(maximum, row[c]) }
        var sum: Float = 0
        for c in 0..<width {
            let e = Float.exp(row[c] - maximum)
            row[c] = e
            sum += e
        }
        let inverse = 1 / sum
        for c in 0..<width { row[c] *= inverse }
    }
}
