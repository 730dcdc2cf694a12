import RealModule

/// Per-position information rate of an oracle (vmo `IR(ir_type='cum')`), computed from its `lrs` alone.
public struct InformationRate: Sendable, Equatable {
    /// Information rate per input position (`alpha * h0 - h1`, negative values set to 0).
    public var ir: [Double]
    /// `log2` of the number of distinct symbols seen up to each position.
    public var h0: [Double]
    /// `log2` of the number of Compror code words up to each position, divided by the current block length.
    public var h1: [Double]
    /// Sum of `ir`: the score the threshold search maximises.
    public var sum: Double
}

/// Computes the information rate of an oracle from its `lrs` array (`n + 1` entries, state 0 included) with the
/// Compror encoding, exactly as vmo 0.30.5 does for `ir_type='cum'`.
///
/// Positions `0 ..< n` are cut into blocks: a block starting at `j` extends while the suffix link of the next
/// state repeats the whole block so far; a block of one new frame has length code 0. `h0` counts new symbols, `h1`
/// counts code words, and `sum` adds the rates the way `numpy.sum` does (pairwise).
public func informationRate(lrs: [Int], alpha: Double = 1) -> InformationRate {
    let positionCount = max(0, lrs.count - 1)
    var isNewSymbol = [Bool](repeating: false, count: positionCount)
    var startsBlock = [Bool](repeating: false, count: positionCount)
    var blockLength = [Int](repeating: 1, count: positionCount)

    var blockStart = 0
    while blockStart < positionCount {
        var blockEnd = blockStart
        while blockEnd < positionCount && lrs[blockEnd + 1] >= blockEnd - blockStart + 1 {
            blockEnd += 1
        }
        startsBlock[blockStart] = true
        if blockEnd == blockStart {
            // A single new frame: length code 0, counted as length 1 for h1.
            isNewSymbol[blockStart] = true
            blockStart += 1
        } else {
            for position in blockStart..<blockEnd {
                blockLength[position] = blockEnd - blockStart
            }
            blockStart = blockEnd
        }
    }

    var ir = [Double](repeating: 0, count: positionCount)
    var h0 = [Double](repeating: 0, count: positionCount)
    var h1 = [Double](repeating: 0, count: positionCount)
    var symbolCount = 0
    var codeWordCount = 0
    for position in 0..<positionCount {
        if isNewSymbol[position] { symbolCount += 1 }
        if startsBlock[position] { codeWordCount += 1 }
        h0[position] = Double.log2(Double(symbolCount))
        h1[position] = Double.log2(Double(codeWordCount)) / Double(blockLength[position])
        ir[position] = max(0, alpha * h0[position] - h1[position])
    }
    return InformationRate(ir: ir, h0: h0, h1: h1, sum: pairwiseSum(ir))
}

/// The sum of `values` in the order `numpy.sum` uses for a contiguous float64 array (pairwise summation with
/// blocks of 128 and eight partial sums), so that scores equal vmo's to the last bit.
func pairwiseSum(_ values: [Double]) -> Double {
    values.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return 0 }
        return 0 + pairwiseSum(base, count: buffer.count)
    }
}

private func pairwiseSum(_ values: UnsafePointer<Double>, count: Int) -> Double {
    if count < 8 {
        var sum = 0.0
        for index in 0..<count {
            sum += values[index]
        }
        return sum
    }
    if count <= 128 {
        var partial = (values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7])
        var index = 8
        while index < count - count % 8 {
            partial.0 += values[index]
            partial.1 += values[index + 1]
            partial.2 += values[index + 2]
            partial.3 += values[index + 3]
            partial.4 += values[index + 4]
            partial.5 += values[index + 5]
            partial.6 += values[index + 6]
            partial.7 += values[index + 7]
            index += 8
        }
        let firstHalf = (partial.0 + partial.1) + (partial.2 + partial.3)
        var sum = firstHalf + ((partial.4 + partial.5) + (partial.6 + partial.7))
        while index < count {
            sum += values[index]
            index += 1
        }
        return sum
    }
    var half = count / 2
    half -= half % 8
    return pairwiseSum(values, count: half) + pairwiseSum(values + half, count: count - half)
}
