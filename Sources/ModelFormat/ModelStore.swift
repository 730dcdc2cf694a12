/// Where models live: a models directory on disk in the daemon, memory in tests.
///
/// Models are addressed by name only, never by raw path, so an OSC client cannot reach outside the store.
public protocol ModelStore: Sendable {
    /// Names of the stored models, sorted.
    func modelNames() throws -> [String]

    /// Loads the model called `name`.
    func loadModel(named name: String) throws -> MusicHalModel

    /// Stores `model` as `name`, atomically replacing any model of that name.
    func saveModel(_ model: MusicHalModel, named name: String) throws
}

/// Rules for model names.
public enum ModelName {
    /// Returns `name` if it is a valid model name: 1 to 128 characters from letters, digits, `-`, `_` and
    /// `.`, not starting with `.`; anything else (separators, `..`, absolute paths) is refused.
    public static func validated(_ name: String) throws(ModelFormatError) -> String {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
        guard !name.isEmpty, name.utf8.count <= 128, allowed, !name.hasPrefix(".") else {
            throw .invalidName(name)
        }
        return name
    }
}
