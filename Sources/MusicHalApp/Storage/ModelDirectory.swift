import Foundation
public import ModelFormat

/// Models stored as `<name>.halmodel` files in one directory.
public struct ModelDirectory: ModelStore {
    /// The directory.
    public let path: String

    /// A store over `path` (created on the first save).
    public init(path: String) { self.path = path }

    /// The file a model name maps to.
    public func filePath(forModel name: String) throws(ModelFormatError) -> String {
        "\(path)/\(try ModelName.validated(name)).\(ModelFile.fileExtension)"
    }

    /// See `ModelStore.modelNames()`.
    public func modelNames() throws -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        let suffix = ".\(ModelFile.fileExtension)"
        return entries.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.map { String($0.dropLast(suffix.count)) }
            .sorted()
    }

    /// See `ModelStore.loadModel(named:)`.
    public func loadModel(named name: String) throws -> MusicHalModel {
        let file = try filePath(forModel: name)
        guard FileManager.default.fileExists(atPath: file) else { throw ModelFormatError.modelNotFound(name) }
        return try ModelFileIO.read(path: file)
    }

    /// See `ModelStore.saveModel(_:named:)`.
    public func saveModel(_ model: MusicHalModel, named name: String) throws {
        try ModelFileIO.write(model, to: try filePath(forModel: name))
    }
}

/// Reading and writing model files at explicit paths (the command line's `-o path/with/slash`).
public enum ModelFileIO {
    /// A model file could not be used; names the file.
    public struct Failure: Error, CustomStringConvertible {
        /// The file.
        public let path: String
        /// The underlying problem.
        public let reason: String

        /// One-line description.
        public var description: String { "\(path): \(reason)" }
    }

    /// Reads and decodes the model at `path`.
    public static func read(path: String) throws(Failure) -> MusicHalModel {
        let contents: FileContents
        do {
            contents = try FileContents(path: path)
        } catch {
            throw Failure(path: path, reason: error.reason)
        }
        let result = decode(contents.bytes)
        switch result {
        case .success(let model): return model
        case .failure(let error): throw Failure(path: path, reason: error.description)
        }
    }

    /// Decodes a large file while another core checks its checksum (the checksum alone is a tenth of a load); a
    /// failed checksum wins over whatever decoding made of the damaged bytes.
    static func decode(_ raw: UnsafeRawBufferPointer) -> Result<MusicHalModel, ModelFormatError> {
        func decode(verifying: Bool) -> Result<MusicHalModel, ModelFormatError> {
            Result { () throws(ModelFormatError) in try ModelFile.decode(raw, verifyChecksum: verifying) }
        }
        guard raw.count >= 1 << 20 else { return decode(verifying: true) }
        // The bytes are only read, and each result is written by one part and read after both have finished.
        nonisolated(unsafe) let bytes = raw
        nonisolated(unsafe) var checksumIsValid = false
        nonisolated(unsafe) var decoded: Result<MusicHalModel, ModelFormatError> = .failure(.notAModel)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                checksumIsValid = ModelFile.hasValidChecksum(bytes)
            } else {
                decoded = Result { () throws(ModelFormatError) in try ModelFile.decode(bytes, verifyChecksum: false) }
            }
        }
        switch decoded {
        case .failure(.notAModel), .failure(.unsupportedVersion): return decoded
        default: return checksumIsValid ? decoded : .failure(.checksumMismatch)
        }
    }

    /// Encodes `model` and writes it to `path` atomically.
    public static func write(_ model: MusicHalModel, to path: String) throws(FileWriteError) {
        try AtomicFile.write(ModelFile.encode(model), to: path)
    }
}
