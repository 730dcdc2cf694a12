/// Errors of the perception module.
public enum AudioFeaturesError: Error, CustomStringConvertible, Equatable {
    /// The stream's sample rate is outside what the listener supports.
    case unsupportedSampleRate(Double)

    /// One-line description for logs and `/hal/fail`.
    public var description: String {
        switch self {
        case .unsupportedSampleRate(let rate):
            return "unsupported sample rate \(rate) Hz (the listener needs 8000 to 192000 Hz)"
        }
    }
}
