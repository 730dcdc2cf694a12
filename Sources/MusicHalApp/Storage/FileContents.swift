import Glibc

/// A whole file read into private memory (not mapped: a file replaced in place while it is read must give a checksum
/// error, never a SIGBUS).
///
/// The buffer is an anonymous mapping that asks for transparent huge pages: a model file of tens of megabytes then
/// costs a few page faults instead of thousands, a large part of a load.
final class FileContents {
    /// The bytes of the file.
    let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    private let mappedLength: Int

    /// Largest file read (model files of a million events are under 200 MB).
    static let maximumSize = 1 << 31

    /// Why a file could not be read, in words for an error message.
    struct Failure: Error {
        let reason: String
    }

    /// Reads `path` whole.
    init(path: String) throws(Failure) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw Failure(reason: errno == ENOENT ? "no such file" : "cannot be read (\(Self.errorText()))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Failure(reason: "cannot be read (\(Self.errorText()))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw Failure(reason: "is not a regular file") }
        let size = Int(status.st_size)
        guard size <= Self.maximumSize else { throw Failure(reason: "is too large (\(size) bytes) to be a model") }
        guard size > 0 else {
            mapping = nil
            mappedLength = 0
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            address != MAP_FAILED
        else { throw Failure(reason: "cannot be read (\(Self.errorText()))") }
        _ = madvise(address, size, MADV_HUGEPAGE)
        var offset = 0
        while offset < size {
            let count = read(descriptor, address + offset, size - offset)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = count == 0 ? "changed while it was read" : "cannot be read (\(Self.errorText()))"
                munmap(address, size)
                throw Failure(reason: reason)
            }
            offset += count
        }
        mapping = address
        mappedLength = size
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let mapping { munmap(mapping, mappedLength) }
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
