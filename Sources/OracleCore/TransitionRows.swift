/// Forward transitions of every state in compressed rows, the form model files store them in: the targets of state
/// `s` are `targets[offsets[s] ..< offsets[s + 1]]`. Restoring from it costs two arrays, not one per state.
public struct TransitionRows: Sendable, Equatable {
    /// `stateCount + 1` ascending positions into `targets`, starting at 0.
    public let offsets: [Int]
    /// All targets, row after row.
    public let targets: [Int]

    /// Rows from their stored arrays; their consistency is checked by the oracle that takes them.
    public init(offsets: [Int], targets: [Int]) {
        self.offsets = offsets
        self.targets = targets
    }

    /// Rows from one list of targets per state.
    public init(_ rows: [[Int]]) {
        var offsets = [0]
        offsets.reserveCapacity(rows.count + 1)
        var targets: [Int] = []
        targets.reserveCapacity(rows.reduce(0) { $0 + $1.count })
        for row in rows {
            targets.append(contentsOf: row)
            offsets.append(targets.count)
        }
        self.offsets = offsets
        self.targets = targets
    }

    /// Number of rows, or nil when the offsets are not ascending from 0 to the number of targets.
    var validRowCount: Int? {
        guard offsets.first == 0, offsets.last == targets.count else { return nil }
        for row in 1..<offsets.count where offsets[row] < offsets[row - 1] { return nil }
        return offsets.count - 1
    }

    /// The targets of `row` (valid rows only).
    func row(_ row: Int) -> ArraySlice<Int> { targets[offsets[row]..<offsets[row + 1]] }
}
