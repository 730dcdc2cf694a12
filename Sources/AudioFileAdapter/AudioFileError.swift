/// Errors reading or writing audio files; each names the file.
public enum AudioFileError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist.
    case notFound(path: String)
    /// libsndfile could not open or decode the file; carries its message.
    case unreadable(path: String, reason: String)
    /// The file opened but holds no audio frames.
    case empty(path: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)
    /// The requested output format is not one this adapter writes.
    case unsupportedFormat(String)

    /// One-line description naming the file.
    public var description: String {
        switch self {
        case .notFound(let path): return "audio file not found: \(path)"
        case .unreadable(let path, let reason): return "cannot decode audio file \(path): \(reason)"
        case .empty(let path): return "audio file \(path) contains no audio"
        case .unwritable(let path, let reason): return "cannot write audio file \(path): \(reason)"
        case .unsupportedFormat(let name): return "unsupported audio output format '\(name)'"
        }
    }
}
