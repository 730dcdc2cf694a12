/// Why a model file could not be read or a model could not be stored.
public enum ModelFormatError: Error, CustomStringConvertible, Equatable {
    /// The bytes do not start with the MusicHal magic: not a model file at all.
    case notAModel
    /// The file was written by another format version.
    case unsupportedVersion(found: UInt32, supported: UInt32)
    /// The checksum does not match: the file is damaged.
    case checksumMismatch
    /// The file ends in the middle of something.
    case truncated(section: String, needed: String)
    /// A length or count is impossible for the file's size.
    case badLength(section: String, field: String, value: Int)
    /// A required section is missing.
    case missingSection(String)
    /// A section's content is inconsistent.
    case malformed(section: String, reason: String)
    /// A model name is not allowed (empty, a path, hidden, or too long).
    case invalidName(String)
    /// No model of that name exists.
    case modelNotFound(String)
    /// The model could not be stored or read from storage.
    case storageFailed(path: String, reason: String)

    /// One-line description for logs and `/hal/fail`.
    public var description: String {
        switch self {
        case .notAModel: return "not a MusicHal model file (bad magic)"
        case .unsupportedVersion(let found, let supported):
            return "model file format version \(found) is not supported (this MusicHal reads version \(supported))"
        case .checksumMismatch: return "model file is damaged (checksum mismatch)"
        case .truncated(let section, let needed): return "model file is truncated in \(section) (reading \(needed))"
        case .badLength(let section, let field, let value):
            return "model file has an impossible \(field) (\(value)) in \(section)"
        case .missingSection(let name): return "model file has no \(name) section"
        case .malformed(let section, let reason): return "model file section \(section) is malformed: \(reason)"
        case .invalidName(let name):
            return "invalid model name '\(name)': use letters, digits, '-', '_' and '.', without path separators"
        case .modelNotFound(let name): return "no model named '\(name)'"
        case .storageFailed(let path, let reason): return "cannot access model file \(path): \(reason)"
        }
    }
}
