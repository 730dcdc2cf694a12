/// Why a checkpoint could not be loaded, an input could not be encoded, or a quantizer could not be built.
///
/// Every case names the file, tensor or key involved, so `description` is one line a user can act on.
public enum NeuralFeaturesError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A required file of a checkpoint does not exist.
    case missingFile(path: String)
    /// A file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// A JSON document is not valid JSON; `offset` is the byte where parsing stopped.
    case malformedJSON(file: String, offset: Int, reason: String)
    /// A configuration key has a wrong type or an impossible value.
    case invalidConfiguration(file: String, key: String, reason: String)
    /// A configuration asks for something this implementation does not do.
    case unsupportedConfiguration(file: String, key: String, reason: String)
    /// A safetensors file is damaged: bad header length, header or offsets.
    case malformedSafetensors(file: String, reason: String)
    /// A tensor the configuration requires is not in the weights file.
    case missingTensor(file: String, name: String)
    /// A tensor has a shape other than the configuration implies.
    case shapeMismatch(file: String, name: String, expected: [Int], found: [Int])
    /// A tensor's element type cannot be read as float32.
    case unsupportedDataType(file: String, name: String, dtype: String)
    /// A tensor's byte range does not fit its shape or lies outside the file.
    case truncatedTensor(file: String, name: String, reason: String)
    /// A tensor holds NaN or infinity.
    case nonFiniteTensor(file: String, name: String)
    /// The audio is shorter than the encoder's receptive field.
    case inputTooShort(samples: Int, minimum: Int)
    /// A caller-supplied argument is out of range (layer index, window, vector length).
    case invalidArgument(String)
    /// The symbolic quantizer cannot be fitted or restored.
    case invalidQuantizer(String)

    /// One-line description for logs and command-line errors.
    public var description: String {
        switch self {
        case .missingFile(let path):
            return "missing checkpoint file \(path)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedJSON(let file, let offset, let reason):
            return "\(file) is not valid JSON at byte \(offset): \(reason)"
        case .invalidConfiguration(let file, let key, let reason):
            return "\(file): invalid '\(key)': \(reason)"
        case .unsupportedConfiguration(let file, let key, let reason):
            return "\(file): unsupported '\(key)': \(reason)"
        case .malformedSafetensors(let file, let reason):
            return "\(file) is not a valid safetensors file: \(reason)"
        case .missingTensor(let file, let name):
            return "\(file) has no tensor '\(name)'"
        case .shapeMismatch(let file, let name, let expected, let found):
            return "\(file): tensor '\(name)' has shape \(found), the configuration needs \(expected)"
        case .unsupportedDataType(let file, let name, let dtype):
            return "\(file): tensor '\(name)' has data type \(dtype) (F32, F16 and BF16 are supported)"
        case .truncatedTensor(let file, let name, let reason):
            return "\(file): tensor '\(name)' is truncated or misplaced: \(reason)"
        case .nonFiniteTensor(let file, let name):
            return "\(file): tensor '\(name)' contains NaN or infinity"
        case .inputTooShort(let samples, let minimum):
            return "audio too short for the encoder: \(samples) samples, at least \(minimum) needed"
        case .invalidArgument(let reason):
            return reason
        case .invalidQuantizer(let reason):
            return "symbolic quantizer: \(reason)"
        }
    }
}
