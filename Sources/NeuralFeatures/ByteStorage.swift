/// Immutable bytes that stay valid as long as the object lives: a memory-mapped file in the app, an array in
/// tests. Weights read from it may point straight into it, so a model keeps its storage alive.
public protocol ByteStorage: AnyObject, Sendable {
    /// The bytes; the pointer must stay valid and unchanged for the object's lifetime.
    var bytes: UnsafeRawBufferPointer { get }
}

/// Bytes held in a heap allocation (tests, small files).
public final class ArrayByteStorage: ByteStorage, @unchecked Sendable {
    // The allocation is written once in `init` and only read afterwards.
    private let storage: UnsafeMutableRawBufferPointer

    /// Copies `bytes` into a new 64-byte-aligned allocation.
    public init<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        _ = storage.initializeMemory(as: UInt8.self, from: bytes)
    }

    deinit { storage.deallocate() }

    /// See `ByteStorage.bytes`.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<storage.count]) }
}

/// Float32 values owned by the model (converted, folded or rearranged weights).
final class OwnedFloats: @unchecked Sendable {
    // Written only while the model is being built, read-only afterwards: safe to share between threads.
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}

/// A read-only float32 tensor, either borrowed from the checkpoint's bytes (aligned little-endian F32, no copy)
/// or owned; it keeps whichever backing object alive.
struct FloatTensor: @unchecked Sendable {
    // The pointer targets memory the `owner` keeps alive and nobody writes after loading.
    let pointer: UnsafePointer<Float>
    let shape: [Int]
    let owner: AnyObject

    var count: Int { shape.reduce(1, *) }

    init(owned: OwnedFloats, shape: [Int]) {
        pointer = UnsafePointer(owned.pointer)
        self.shape = shape
        owner = owned
    }

    init(borrowing pointer: UnsafePointer<Float>, shape: [Int], owner: any ByteStorage) {
        self.pointer = pointer
        self.shape = shape
        self.owner = owner
    }

    subscript(index: Int) -> Float { pointer[index] }
}
