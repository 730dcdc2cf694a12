/// A set of pitch classes (0 = C ... 11 = B) stored as a 12-bit mask: copying, testing and iterating it never
/// allocate, so it can be used on every note.
public struct PitchClassSet: Sendable, Hashable, Sequence, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// Bit `n` is set when pitch class `n` is in the set.
    public private(set) var mask: UInt16

    /// The empty set.
    public init() { mask = 0 }

    /// The set of the given pitch classes; any integer is reduced modulo 12 (so MIDI notes may be passed).
    public init(_ pitchClasses: some Sequence<Int>) {
        mask = 0
        for pitchClass in pitchClasses { insert(pitchClass) }
    }

    /// The set of the given pitch classes, reduced modulo 12.
    public init(arrayLiteral elements: Int...) { self.init(elements) }

    /// A set from its 12-bit mask (higher bits are ignored).
    public init(mask: UInt16) { self.mask = mask & 0xFFF }

    /// Reduces any integer (a MIDI note, a negative interval) to its pitch class 0...11.
    @inlinable
    public static func pitchClass(_ value: Int) -> Int { ((value % 12) + 12) % 12 }

    /// Whether `pitch`'s pitch class is in the set (any integer, reduced modulo 12).
    public func contains(_ pitch: Int) -> Bool { mask & (1 << UInt16(Self.pitchClass(pitch))) != 0 }

    /// Adds a pitch class (reduced modulo 12).
    public mutating func insert(_ pitch: Int) { mask |= 1 << UInt16(Self.pitchClass(pitch)) }

    /// Number of pitch classes in the set.
    public var count: Int { mask.nonzeroBitCount }

    /// Whether the set is empty.
    public var isEmpty: Bool { mask == 0 }

    /// The set moved up by `semitones` (negative moves down).
    public func transposed(by semitones: Int) -> PitchClassSet {
        let shift = UInt16(Self.pitchClass(semitones))
        let wide = UInt32(mask) << shift
        return PitchClassSet(mask: UInt16(truncatingIfNeeded: (wide | (wide >> 12)) & 0xFFF))
    }

    /// The pitch classes in ascending order.
    public func makeIterator() -> Iterator { Iterator(mask: mask) }

    /// Iterates the pitch classes in ascending order.
    public struct Iterator: IteratorProtocol {
        var mask: UInt16
        var index = 0

        /// The next pitch class, or nil at the end.
        public mutating func next() -> Int? {
            while index < 12 {
                defer { index += 1 }
                if mask & (1 << UInt16(index)) != 0 { return index }
            }
            return nil
        }
    }

    /// The pitch classes as numbers, e.g. `{0, 4, 7}`.
    public var description: String { "{" + map(String.init).joined(separator: ", ") + "}" }
}
