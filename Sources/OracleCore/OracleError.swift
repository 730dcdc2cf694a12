/// The stored array of an oracle that a validation error refers to.
public enum OracleField: String, Sendable, Equatable, CaseIterable {
    /// The feature frames of a Variable Markov Oracle.
    case frames
    /// The input symbols of a Factor Oracle (`data`).
    case symbols
    /// The labels of a Variable Markov Oracle (`data`).
    case labels
    /// The suffix links (`sfx`).
    case suffixLinks
    /// The repeated-suffix lengths (`lrs`).
    case lrs
    /// The forward transitions (`trn`).
    case transitions
}

/// Everything that can go wrong when building, restoring or searching an oracle.
public enum OracleError: Error, CustomStringConvertible, Equatable {
    /// A feature dimension below 1 was requested.
    case invalidDimension(Int)
    /// A threshold that is negative, NaN or infinite was requested.
    case invalidThreshold(Double)
    /// An operation that needs at least one frame or symbol was given none.
    case emptyInput
    /// Frame `frame` (index within the call's input; 0 for a single frame) has the wrong number of features.
    case dimensionMismatch(frame: Int, expected: Int, actual: Int)
    /// Feature `component` of frame `frame` is NaN or infinite.
    case nonFiniteFeature(frame: Int, component: Int)
    /// A stored array does not have the length the other arrays imply.
    case lengthMismatch(field: OracleField, expected: Int, actual: Int)
    /// A stored array holds a value at `state` that no oracle construction can produce.
    case inconsistentStructure(field: OracleField, state: Int, reason: String)
    /// A threshold grid whose step is not positive, whose bounds are not finite, or that holds no value.
    case invalidThresholdGrid(start: Double, stop: Double, step: Double)

    /// A one-line explanation of the error.
    public var description: String {
        switch self {
        case .invalidDimension(let dimension):
            return "oracle feature dimension must be at least 1, got \(dimension)"
        case .invalidThreshold(let threshold):
            return "oracle threshold must be a finite number >= 0, got \(threshold)"
        case .emptyInput:
            return "oracle input is empty: at least one frame is needed"
        case .dimensionMismatch(let frame, let expected, let actual):
            return "frame \(frame) has \(actual) features, expected \(expected)"
        case .nonFiniteFeature(let frame, let component):
            return "frame \(frame) has a NaN or infinite value at feature \(component)"
        case .lengthMismatch(let field, let expected, let actual):
            return "stored oracle array '\(field.rawValue)' has length \(actual), expected \(expected)"
        case .inconsistentStructure(let field, let state, let reason):
            return "stored oracle array '\(field.rawValue)' is corrupt at state \(state): \(reason)"
        case .invalidThresholdGrid(let start, let stop, let step):
            return "threshold grid start \(start), stop \(stop), step \(step) is invalid: "
                + "bounds must be finite, >= 0, the step positive and the grid non-empty"
        }
    }
}
