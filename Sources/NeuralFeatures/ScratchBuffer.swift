/// A growable, uniquely owned block of uninitialised-by-contract elements for scratch work.
///
/// It only ever grows (when a longer input arrives), so steady-state runs allocate nothing.
struct ScratchBuffer<Element: BitwiseCopyable>: ~Copyable {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var capacity: Int

    init(capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        pointer = UnsafeMutablePointer<Element>.allocate(capacity: self.capacity)
    }

    /// Makes room for `count` elements; previous contents are lost when it grows.
    mutating func reserve(_ count: Int) {
        guard count > capacity else { return }
        pointer.deallocate()
        capacity = count
        pointer = UnsafeMutablePointer<Element>.allocate(capacity: count)
    }

    deinit { pointer.deallocate() }
}
