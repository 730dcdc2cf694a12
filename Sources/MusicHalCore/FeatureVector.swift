/// A fixed-length vector of perceptual features describing one musical event.
///
/// Which dimensions it holds is defined by the perception module that fills it (see
/// `AudioFeatures.EventFeatureLayout`); the oracle only needs them comparable by Euclidean distance.
public struct FeatureVector: Sendable, Hashable {
    /// The feature values.
    public var values: [Float]

    /// Creates a vector from its values.
    public init(_ values: [Float]) { self.values = values }

    /// Number of dimensions.
    public var count: Int { values.count }

    /// True when every value is finite (no NaN or infinity).
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }
}
