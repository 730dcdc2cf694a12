import Glibc
import NeuralFeatures

/// A whole file mapped read-only into memory, handed to the pure safetensors parser as bytes.
///
/// Weights are used in place from the mapping (no copy), so a model costs its file size in page cache and
/// nothing more; the mapping lives as long as the model that references it.
final class MappedFile: ByteStorage, @unchecked Sendable {
    // The mapping is read-only (PROT_READ) and unmapped only in deinit: safe to share between threads.
    let bytes: UnsafeRawBufferPointer
    let path: String

    /// Maps `path`; errors name the file.
    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw NeuralFeaturesError.missingFile(path: path) }
            throw NeuralFeaturesError.unreadableFile(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw NeuralFeaturesError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw NeuralFeaturesError.unreadableFile(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw NeuralFeaturesError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        // The whole file is read at load (validation) and by every forward pass: read ahead.
        _ = madvise(address, size, MADV_WILLNEED)
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
