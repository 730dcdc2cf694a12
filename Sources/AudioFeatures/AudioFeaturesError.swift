/// Errors of the perception module.
public enum AudioFeaturesError: Error, CustomStringConvertible, Equatable {
    /// The stream's sample rate is outside what the listener supports.
    case unsupportedSampleRate(Double)
    /// A filter cannot be designed as asked (cutoffs out of range or in the wrong order).
    case invalidFilter(String)

    /// One-line description for logs and `/hal/fail`.
    public var description: String {
        switch self {
        case .unsupportedSampleRate(let rate):
            return "unsupported sample rate \(rate) Hz (the listener needs 8000 to 192000 Hz)"
        case .invalidFilter(let reason):
            return "cannot build the band-limiting filter: \(reason)"
        }
    }
}
