import OracleCore
import Testing

/// Bad input is rejected with a clear error and leaves the oracle unchanged.
@Suite("Input validation")
struct InputValidationTests {
    static func smallOracle() throws -> VariableMarkovOracle {
        var oracle = try VariableMarkovOracle(dimension: 3, threshold: 0.5)
        try oracle.append(contentsOf: [[0, 0, 0], [1, 0, 0], [0, 0, 0.1], [1, 0.1, 0]])
        return oracle
    }

    @Test("invalid dimension or threshold")
    func invalidConfiguration() {
        #expect(throws: OracleError.invalidDimension(0)) { try VariableMarkovOracle(dimension: 0, threshold: 1) }
        #expect(throws: OracleError.invalidThreshold(-0.1)) {
            try VariableMarkovOracle(dimension: 2, threshold: -0.1)
        }
        #expect(throws: OracleError.invalidThreshold(.infinity)) {
            try VariableMarkovOracle(dimension: 2, threshold: .infinity)
        }
        do {
            _ = try VariableMarkovOracle(dimension: 2, threshold: .nan)
            Issue.record("NaN threshold accepted")
        } catch {
            guard case .invalidThreshold(let value) = error, value.isNaN else {
                Issue.record("wrong error \(error)")
                return
            }
        }
    }

    @Test("non-finite features and wrong dimensions in a batch leave the oracle unchanged")
    func badBatchLeavesOracleUnchanged() throws {
        var oracle = try Self.smallOracle()
        let before = oracle
        #expect(throws: OracleError.nonFiniteFeature(frame: 1, component: 2)) {
            try oracle.append(contentsOf: [[0, 0, 0], [0, 0, .nan], [1, 1, 1]])
        }
        #expect(throws: OracleError.nonFiniteFeature(frame: 2, component: 0)) {
            try oracle.append(contentsOf: [[0, 0, 0], [0, 0, 1], [-.infinity, 1, 1]])
        }
        #expect(throws: OracleError.dimensionMismatch(frame: 1, expected: 3, actual: 2)) {
            try oracle.append(contentsOf: [[0, 0, 0], [0, 0]])
        }
        #expect(throws: OracleError.emptyInput) { try oracle.append(contentsOf: []) }
        #expect(oracle == before)
    }

    @Test("contiguous frames build the same oracle as frames one by one, also mixed with them; bad ones change nothing")
    func contiguousFrames() throws {
        let frames: [[Double]] = (0..<300).map { index -> [Double] in
            let first = Double(index % 7)
            let second = Double(index % 5) * 0.5
            let third = Double(index * 3 % 11) * 0.2
            return [first, second, third]
        }
        var reference = try VariableMarkovOracle(dimension: 3, threshold: 0.3)
        for frame in frames {
            try reference.append(frame)
        }
        func matrix(_ range: Range<Int>) -> [Double] { frames[range].flatMap { $0 } }

        var oracle = try VariableMarkovOracle(dimension: 3, threshold: 0.3)
        let empty = oracle
        var bad = matrix(0..<100)
        bad[3 * 40 + 2] = .nan
        #expect(throws: OracleError.nonFiniteFeature(frame: 40, component: 2)) {
            try oracle.append(contiguousFrames: bad)
        }
        #expect(oracle == empty && oracle.stateCount == 1)
        #expect(throws: OracleError.dimensionMismatch(frame: 1, expected: 3, actual: 2)) {
            try oracle.append(contiguousFrames: [0, 0, 0, 1, 1])
        }
        #expect(throws: OracleError.emptyInput) { try oracle.append(contiguousFrames: []) }
        #expect(oracle == empty)

        try oracle.append(contiguousFrames: matrix(0..<100))
        // Joins the contiguous block, then a frame stored on its own, then a block stored after it.
        try oracle.append(contiguousFrames: matrix(100..<150))
        try oracle.append(frames[150])
        let before = oracle
        bad = matrix(151..<200)
        bad[3 * 10] = -.infinity
        #expect(throws: OracleError.nonFiniteFeature(frame: 10, component: 0)) {
            try oracle.append(contiguousFrames: bad)
        }
        #expect(oracle == before && oracle.inputCount == 151)
        try oracle.append(contiguousFrames: matrix(151..<300))

        #expect(oracle == reference)
        #expect(oracle.labels == reference.labels && oracle.transitions == reference.transitions)
        #expect(oracle.suffixLinks == reference.suffixLinks && oracle.lrs == reference.lrs)
        #expect(oracle.flatFrames == matrix(0..<300))
        // Enough labels for the root step to use its index (32).
        #expect(oracle.labelCount > 40 && oracle.maxLRS > 5)
    }

    @Test("a bad frame in a batch into an empty oracle leaves it empty, and it still builds")
    func badBatchIntoEmptyOracle() throws {
        // Into an empty oracle the frames are checked as they are mirrored, before any state is built.
        let good: [[Double]] = (0..<200).map { index in
            let first = Double(index % 7)
            let second = Double(index % 5) * 0.5
            return [first, second, Double(index % 3)]
        }
        var oracle = try VariableMarkovOracle(dimension: 3, threshold: 0.8)
        let empty = oracle
        var infinite = good
        infinite[150][1] = Double.infinity
        #expect(throws: OracleError.nonFiniteFeature(frame: 150, component: 1)) {
            try oracle.append(contentsOf: infinite)
        }
        #expect(oracle == empty && oracle.stateCount == 1 && oracle.labelCount == 0)
        var long = good
        long[199].append(0)
        #expect(throws: OracleError.dimensionMismatch(frame: 199, expected: 3, actual: 4)) {
            try oracle.append(contentsOf: long)
        }
        #expect(oracle == empty)
        try oracle.append(contentsOf: good)
        var reference = try VariableMarkovOracle(dimension: 3, threshold: 0.8)
        for frame in good {
            try reference.append(frame)
        }
        #expect(oracle == reference)
        #expect(oracle.labels == reference.labels && oracle.transitions == reference.transitions)
    }

    @Test("a bad single frame leaves the oracle unchanged")
    func badSingleFrameLeavesOracleUnchanged() throws {
        var oracle = try Self.smallOracle()
        let before = oracle
        #expect(throws: OracleError.dimensionMismatch(frame: 0, expected: 3, actual: 4)) {
            try oracle.append([0, 0, 0, 0] as [Double])
        }
        #expect(throws: OracleError.nonFiniteFeature(frame: 0, component: 1)) {
            try oracle.append([0, .infinity, 0] as [Double])
        }
        #expect(throws: OracleError.nonFiniteFeature(frame: 0, component: 0)) {
            try oracle.append([Float.nan, 0, 0])
        }
        #expect(oracle == before)
    }

    @Test("single-precision frames are converted exactly")
    func floatFramesEqualDoubleFrames() throws {
        let floats: [[Float]] = [[0.1, 0.2, 0.3], [0.7, 0.1, 0.3], [0.1, 0.25, 0.3], [0.71, 0.1, 0.3]]
        var fromFloats = try VariableMarkovOracle(dimension: 3, threshold: 0.2)
        var fromDoubles = try VariableMarkovOracle(dimension: 3, threshold: 0.2)
        for frame in floats {
            try fromFloats.append(frame)
            try fromDoubles.append(frame.map(Double.init))
        }
        #expect(fromFloats == fromDoubles)
        #expect(Array(fromFloats.frame(of: 1)) == [Double(Float(0.1)), Double(Float(0.2)), Double(Float(0.3))])
    }

    @Test("the threshold is strict and 0 makes every frame a new label")
    func thresholdIsStrict() throws {
        var strict = try VariableMarkovOracle(dimension: 1, threshold: 1)
        try strict.append(contentsOf: [[0], [1], [0.5]])  // |0 - 1| = 1 is not below 1
        #expect(strict.labels == [-1, 0, 1, 0])
        var zero = try VariableMarkovOracle(dimension: 1, threshold: 0)
        try zero.append(contentsOf: [[0], [0], [0]])
        #expect(zero.labelCount == 3)
    }

    @Test("error descriptions are one clear line")
    func descriptionsAreOneLine() {
        let errors: [OracleError] = [
            .invalidDimension(0), .invalidThreshold(-1), .emptyInput,
            .dimensionMismatch(frame: 1, expected: 3, actual: 2), .nonFiniteFeature(frame: 0, component: 4),
            .lengthMismatch(field: .lrs, expected: 5, actual: 4),
            .inconsistentStructure(field: .suffixLinks, state: 3, reason: "suffix link 3 is not in 0..<3"),
            .invalidThresholdGrid(start: 0, stop: 1, step: 0),
        ]
        for error in errors {
            #expect(!error.description.isEmpty && !error.description.contains("\n"), "\(error)")
        }
        #expect(
            OracleError.dimensionMismatch(frame: 1, expected: 3, actual: 2).description
                == "frame 1 has 2 features, expected 3")
    }
}
