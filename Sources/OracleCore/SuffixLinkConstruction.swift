/// Decides, for the input being added, which existing transition target it continues.
///
/// This is the only step where a Factor Oracle (symbol equality) and a Variable Markov Oracle (frame distance below
/// a threshold) differ; everything else in the construction is shared through `OracleStructure`.
protocol TransitionMatcher {
    /// The target among `targets` (the transitions of `source`, insertion order) that the new input matches, or nil.
    /// Never called for the root: its targets are the first state of every symbol, which the oracles search their
    /// own way.
    ///
    /// `nodes` are the structure's per-state records; the new state has none yet.
    func matchingTarget(from source: Int, targets: TransitionTargets, nodes: UnsafeBufferPointer<StateNode>) -> Int?
}

/// The transitions of one state in insertion order, read from the structure's storage without copying.
///
/// Valid only inside the call that received it: it points into the structure's buffers.
struct TransitionTargets: Sequence, IteratorProtocol {
    /// The literal continuation `source + 1`, returned first, or -1 once returned (or when there is none).
    private var literal: Int
    /// The walk-added transitions.
    private var records: RecordCursor<TransitionLayout>

    init(literal: Int, list: Int32, pool: UnsafeBufferPointer<Int32>) {
        self.literal = literal
        records = RecordCursor(list: list, pool: pool)
    }

    @inline(__always)
    mutating func next() -> Int? {
        if literal >= 0 {
            defer { literal = -1 }
            return literal
        }
        return records.next().map { Int(records.pool[$0]) }
    }
}

/// The shape of the records of a `ChunkedLists`.
protocol ChunkLayout {
    /// Int32 values per chunk.
    static var stride: Int { get }
    /// Int32 values per record.
    static var width: Int { get }
}

/// Walk-added transitions (every transition but the literal `q -> q + 1`): one target per record, chunks of half a
/// cache line.
enum TransitionLayout: ChunkLayout {
    static let stride = 8
    static let width = 1
}

/// Reverse suffix links with what find-better compares: records of a state, its `lrs` and its extending label (the
/// label of the input `lrs` steps back), chunks of one cache line.
enum ReverseLinkLayout: ChunkLayout {
    static let stride = 16
    static let width = 3
    /// Offset of the `lrs` in a record.
    static let length = 1
    /// Offset of the extending label in a record.
    static let extendingLabel = 2
}

/// Append-only lists of records of `Layout.width` Int32 values in chunks of `Layout.stride` values, all in one pool:
/// no list needs an array of its own, and a list is read a chunk, not a record, per cache miss.
///
/// A list is named by the pool index of its first chunk, -1 while it is empty, so that a state without a list costs
/// four bytes. Every chunk starts with the index of the next chunk (-1 at the end); the first chunk then holds the
/// list's length and the index of its last chunk, then records; later chunks hold records only.
struct ChunkedLists<Layout: ChunkLayout>: Sendable {
    /// The chunks in use, then empty chunks (all -1) ready for use: they are filled many at a time.
    private var pool: [Int32] = []
    /// Int32 values in chunks in use.
    private var used = 0

    /// Records in a list's first chunk.
    static var firstCapacity: Int { (Layout.stride - 3) / Layout.width }
    /// Records in each later chunk.
    static var laterCapacity: Int { (Layout.stride - 1) / Layout.width }

    /// Reserves room for `additionalChunks` more chunks.
    mutating func reserveCapacity(additionalChunks: Int) {
        pool.reserveCapacity(used + max(0, additionalChunks) * Layout.stride)
    }

    /// Length of `list`.
    func count(of list: Int32) -> Int {
        list < 0 ? 0 : Int(pool[Int(list) * Layout.stride + 1])
    }

    /// Calls `body` with the pool, for `RecordCursor`s.
    func withPool<Result>(_ body: (UnsafeBufferPointer<Int32>) -> Result) -> Result {
        pool.withUnsafeBufferPointer(body)
    }

    /// Takes the next empty chunk (no records, no next chunk) and returns its index; empty chunks are appended as
    /// many as there are chunks at a time (within the reserved capacity while there is room), not one by one.
    private mutating func takeEmptyChunk() -> Int {
        if used == pool.count {
            let wanted = max(Layout.stride, pool.count)
            let room = pool.capacity - pool.count
            let count = room >= Layout.stride ? min(room, wanted) : wanted
            pool.append(contentsOf: repeatElement(-1, count: count / Layout.stride * Layout.stride))
        }
        defer { used += Layout.stride }
        return used / Layout.stride
    }

    /// Appends a record to `list` (a new list when -1); `write` stores its `Layout.width` values. Returns the
    /// list's new length.
    @discardableResult
    mutating func append(to list: inout Int32, _ write: (UnsafeMutablePointer<Int32>) -> Void) -> Int {
        let stride = Layout.stride
        guard list >= 0 else {
            let chunk = takeEmptyChunk()
            list = Int32(chunk)
            pool.withUnsafeMutableBufferPointer { pool in
                let first = pool.baseAddress! + chunk &* stride
                first[1] = 1
                first[2] = Int32(chunk)
                write(first + 3)
            }
            return 1
        }
        let head = Int(list) &* stride
        let count = Int(pool[head &+ 1])
        let later = count &- Self.firstCapacity
        let slot = later >= 0 ? later % Self.laterCapacity : 0
        // A full last chunk: the next record starts a new one.
        let newChunk = later >= 0 && slot == 0 ? takeEmptyChunk() : -1
        // Every write in one access to the pool (each access checks that the pool is not shared).
        pool.withUnsafeMutableBufferPointer { pool in
            let base = pool.baseAddress!
            var offset = head &+ 3 &+ count &* Layout.width
            if later >= 0 {
                let last = Int(base[head &+ 2])
                if newChunk >= 0 {
                    base[last &* stride] = Int32(newChunk)
                    base[head &+ 2] = Int32(newChunk)
                    offset = newChunk &* stride &+ 1
                } else {
                    offset = last &* stride &+ 1 &+ slot &* Layout.width
                }
            }
            base[head &+ 1] = Int32(count &+ 1)
            write(base + offset)
        }
        return count &+ 1
    }
}

/// The pool offsets of the records of one list of a `ChunkedLists`, in insertion order.
struct RecordCursor<Layout: ChunkLayout>: IteratorProtocol {
    /// The pool read.
    let pool: UnsafeBufferPointer<Int32>
    /// Offset of the current chunk.
    private var chunk = 0
    /// Offset of the next record.
    private var position = 0
    /// Records not yet returned.
    private var remaining = 0

    /// The records of `list` in `pool`.
    init(list: Int32, pool: UnsafeBufferPointer<Int32>) {
        self.pool = pool
        guard list >= 0 else { return }
        chunk = Int(list) * Layout.stride
        remaining = Int(pool[chunk + 1])
        position = chunk + 3
    }

    @inline(__always)
    mutating func next() -> Int? {
        guard remaining > 0 else { return nil }
        // Offsets stay inside the pool: wrapping arithmetic, no overflow checks.
        if position &+ Layout.width > chunk &+ Layout.stride {
            chunk = Int(pool[chunk]) &* Layout.stride
            position = chunk &+ 1
        }
        defer {
            position &+= Layout.width
            remaining &-= 1
        }
        return position
    }
}

/// What the construction reads at random states, in one small record so that a visit to a state costs one cache
/// miss rather than one per array, and a state costs little fresh memory.
struct StateNode: Sendable, Equatable {
    /// `sfx`; -1 at the root.
    var suffixLink: Int32 = -1
    /// `lrs`.
    var lrs: Int32 = 0
    /// Dense label: the VMO label, or the Factor Oracle symbol's number in order of first appearance.
    var label: Int32 = 0
    /// Walk-added transitions: a list of `OracleStructure.transitionLists`, or -1.
    var transitions: Int32 = -1
    /// Reverse suffix links: a list of `OracleStructure.reverseLinkLists`, or -1.
    var reverseLinks: Int32 = -1
}

/// The suffix structure shared by the Factor Oracle and the Variable Markov Oracle: `sfx`, `lrs`, `trn`, `rsfx`,
/// `data` and the running maximum of `lrs`, built one input at a time exactly as vmo 0.30.5 does (`'inc'` method).
///
/// Storage avoids one heap array per state: `q -> q + 1` is always the first transition of `q` and is implicit, the
/// transitions added by suffix walks (about as many as states) and the `rsfx` lists are chunked lists in two pools,
/// in insertion order, which is ascending. Everything else per state is one small `StateNode`: fresh memory costs a
/// page fault per page, a large part of a build.
struct OracleStructure: Sendable {
    /// Largest `lrs` so far.
    private(set) var maxLRS: Int
    /// Number of dense labels.
    private(set) var labelCount: Int
    /// Per-state records.
    private var nodes: [StateNode]
    /// Walk-added transitions of every state.
    private var transitionLists = ChunkedLists<TransitionLayout>()
    /// Reverse suffix links of every state.
    private var reverseLinkLists = ChunkedLists<ReverseLinkLayout>()
    /// For reverse-suffix-link lists longer than `siblingScanLimit`: the first sibling with a given context length
    /// and extending label, so find-better stays O(1) at popular states instead of scanning a list that can grow
    /// with the input.
    private var siblingIndex = SiblingIndex()

    /// Reverse-suffix-link lists up to this length are scanned; longer ones are looked up in `siblingIndex`.
    static let siblingScanLimit = 16

    /// What the construction of one state decided.
    struct Insertion {
        /// The new state.
        var state: Int
        /// True when the walk fell off the root, i.e. the input starts a new symbol or label.
        var isNewSymbol: Bool
        /// The state's dense label.
        var label: Int32
    }

    /// An oracle with only the root.
    init() {
        maxLRS = 0
        labelCount = 0
        nodes = [StateNode()]
    }

    /// Number of states, the root included.
    var stateCount: Int { nodes.count }

    /// Reserves room for `additionalStates` more states.
    mutating func reserveCapacity(additionalStates: Int) {
        let additional = max(0, additionalStates)
        nodes.reserveCapacity(stateCount + additional)
        // A fraction of the states get walk-added transitions or reverse suffix links; room that is never written
        // costs no memory, outgrowing it costs a copy.
        transitionLists.reserveCapacity(additionalChunks: additional / 2)
        reverseLinkLists.reserveCapacity(additionalChunks: additional / 2)
    }

    /// How the forward-link walk for the next state went (spec §2, step 2), up to the root.
    struct Walk {
        /// Number of states, from `sfx[state - 1]` along the suffix links, passed without a matching target: each
        /// gets a transition to the new state.
        var passedCount: Int
        /// The last state passed, or `state - 1` when none was.
        var lastPassed: Int
        /// The target matched before the root was reached, or nil.
        var matched: Int?
        /// True when the walk reached the root without a match: the root's targets are still to be searched. False
        /// for the first state, whose walk is empty (`sfx[0]` is null).
        var reachedRoot = false
    }

    /// Step 2 for the next state up to the root: `matcher` searches the transitions of every state on the way.
    ///
    /// Reads the structure only: no later step of a walk reads the transitions the walk adds, so they are added by
    /// `append(after:rootMatch:)`, together with every other write.
    func walk(_ matcher: some TransitionMatcher) -> Walk {
        nodes.withUnsafeBufferPointer { nodes in
            transitionLists.withPool { pool in
                let state = nodes.count
                var walkState = Int(nodes[state - 1].suffixLink)
                var walk = Walk(passedCount: 0, lastPassed: state - 1, matched: nil)
                while walkState > 0 {
                    // A walked state always has its literal continuation: it precedes the state being added.
                    let targets = TransitionTargets(
                        literal: walkState + 1, list: nodes[walkState].transitions, pool: pool)
                    if let matched = matcher.matchingTarget(from: walkState, targets: targets, nodes: nodes) {
                        walk.matched = matched
                        return walk
                    }
                    walk.passedCount += 1
                    walk.lastPassed = walkState
                    walkState = Int(nodes[walkState].suffixLink)
                }
                walk.reachedRoot = walkState == 0
                return walk
            }
        }
    }

    /// Adds the next state (spec §2, steps 1-5) after `walk`, and returns it.
    ///
    /// `rootMatch` is the root's target that the input matches (the first state of its symbol), or nil; it is used
    /// only when the walk reached the root. A state whose input matches nothing gets the next dense label; otherwise
    /// it takes the dense label of the matched target.
    mutating func append(after walk: Walk, rootMatch: Int?) -> Insertion {
        let state = stateCount
        precondition(state < Int(Int32.max), "an oracle holds fewer than 2^31 states")
        var passedCount = walk.passedCount
        var link = 0
        var length = 0
        var label = Int32(labelCount)
        if let matched = walk.matched ?? (walk.reachedRoot ? rootMatch : nil) {
            (link, length) = suffixLink(of: state, matched: matched, lastPassed: walk.lastPassed)
            label = nodes[matched].label
        } else {
            labelCount += 1
            // Step 3 for an input that fell off the root: a new symbol, and the root gets a transition too.
            if walk.reachedRoot { passedCount += 1 }
        }
        // Step 1: the literal continuation `state - 1 -> state` is implicit in the storage. Step 5.
        nodes.append(StateNode(suffixLink: Int32(link), lrs: Int32(length), label: label))
        maxLRS = max(maxLRS, length)
        addWalkTransitions(to: state, count: passedCount)
        registerReverseLink(from: state, to: link)
        return Insertion(state: state, isNewSymbol: link == 0, label: label)
    }

    /// Steps 3 and 4 for the next state `state`, which continues `matched`, `lastPassed` being the last state
    /// passed by the walk: its suffix link and LRS.
    private func suffixLink(of state: Int, matched: Int, lastPassed: Int) -> (link: Int, length: Int) {
        nodes.withUnsafeBufferPointer { nodes in
            // Step 3: suffix link and LRS.
            let length = Self.longestCommonSuffix(nodes, lastPassed, matched - 1) + 1
            // Step 4: find-better. A state already pointing to the same target with the same context length, whose
            // context extends one input further with the same symbol, is a longer repeat.
            if let sibling = firstSibling(nodes, of: matched, length: length, label: nodes[state - length].label) {
                return (sibling, length + 1)
            }
            return (matched, length)
        }
    }

    /// Adds `k -> state` for the first `count` states `k` of the walk from `sfx[state - 1]`.
    private mutating func addWalkTransitions(to state: Int, count: Int) {
        var walkState = Int(nodes[state - 1].suffixLink)
        for _ in 0..<count {
            addExtraTransition(from: walkState, to: state)
            walkState = Int(nodes[walkState].suffixLink)
        }
    }

    /// Appends `target` to the walk-added transitions of `source`.
    private mutating func addExtraTransition(from source: Int, to target: Int) {
        transitionLists.append(to: &nodes[source].transitions) { $0.pointee = Int32(target) }
    }

    /// The first state (ascending) in `rsfx[target]` with LRS `length` whose input `length` steps back has the
    /// dense label `label` (never the root's: `lrs <= sfx < state`).
    private func firstSibling(
        _ nodes: UnsafeBufferPointer<StateNode>, of target: Int, length: Int, label: Int32
    ) -> Int? {
        let list = nodes[target].reverseLinks
        return reverseLinkLists.withPool { pool in
            var records = RecordCursor<ReverseLinkLayout>(list: list, pool: pool)
            if reverseLinkLists.count(of: list) > Self.siblingScanLimit {
                return siblingIndex.first(target: target, length: length, label: Int(label))
            }
            while let record = records.next() {
                if Int(pool[record + ReverseLinkLayout.length]) == length
                    && pool[record + ReverseLinkLayout.extendingLabel] == label
                {
                    return Int(pool[record])
                }
            }
            return nil
        }
    }

    /// Appends `state` to `rsfx[link]` (its `lrs` and label are final), indexing lists that outgrow a scan.
    private mutating func registerReverseLink(from state: Int, to link: Int) {
        let length = nodes[state].lrs
        let extendingLabel = nodes[state - Int(length)].label
        let count = reverseLinkLists.append(to: &nodes[link].reverseLinks) { record in
            record[0] = Int32(state)
            record[ReverseLinkLayout.length] = length
            record[ReverseLinkLayout.extendingLabel] = extendingLabel
        }
        // The root's list is never searched: find-better does not fire for new symbols.
        guard link != 0, count > Self.siblingScanLimit else { return }
        if count > Self.siblingScanLimit + 1 {
            siblingIndex.insertIfAbsent(target: link, length: Int(length), label: Int(extendingLabel), state: state)
            return
        }
        // The list just outgrew the scan: index all of it (collected first, so the index is not updated while
        // the list is being read).
        var members: [(state: Int, length: Int32, label: Int32)] = []
        members.reserveCapacity(count)
        forEachReverseLink(of: link) { members.append(($0, $1, $2)) }
        for member in members {
            siblingIndex.insertIfAbsent(
                target: link, length: Int(member.length), label: Int(member.label), state: member.state)
        }
    }

    /// Calls `body` with every member of `rsfx[state]` in ascending order, with its `lrs` and extending label.
    private func forEachReverseLink(of state: Int, _ body: (Int, Int32, Int32) -> Void) {
        reverseLinkLists.withPool { pool in
            var records = RecordCursor<ReverseLinkLayout>(list: nodes[state].reverseLinks, pool: pool)
            while let record = records.next() {
                body(
                    Int(pool[record]), pool[record + ReverseLinkLayout.length],
                    pool[record + ReverseLinkLayout.extendingLabel])
            }
        }
    }

    /// The Lefebvre-Lecroq LCS rule: context length shared through the suffix-link tree by `first` and `second`.
    private static func longestCommonSuffix(_ nodes: UnsafeBufferPointer<StateNode>, _ first: Int, _ second: Int) -> Int
    {
        let target = nodes[first].suffixLink
        if Int32(second) == target { return Int(nodes[first].lrs) }
        var walker = second
        while nodes[walker].suffixLink != target && walker != 0 {
            walker = Int(nodes[walker].suffixLink)
        }
        return Int(min(nodes[first].lrs, nodes[walker].lrs))
    }

    // MARK: - Reading

    /// The dense label of `state`.
    func label(of state: Int) -> Int32 { nodes[state].label }

    /// The suffix link of `state`; -1 at the root.
    func suffixLink(of state: Int) -> Int { Int(nodes[state].suffixLink) }

    /// The LRS of `state`.
    func lrs(of state: Int) -> Int { Int(nodes[state].lrs) }

    /// Suffix links of every state; -1 at the root. Built on each call.
    var suffixLinks: [Int] { nodes.map { Int($0.suffixLink) } }

    /// LRS of every state. Built on each call.
    var lrs: [Int] { nodes.map { Int($0.lrs) } }

    /// Dense label of every state, `root` at the root. Built on each call.
    func labels(root: Int) -> [Int] {
        var labels = nodes.map { Int($0.label) }
        labels[0] = root
        return labels
    }

    /// The states of dense label `label`, ascending; one pass over all states.
    func states(ofLabel label: Int) -> [Int] {
        nodes.withUnsafeBufferPointer { nodes in
            (1..<nodes.count).filter { nodes[$0].label == Int32(label) }
        }
    }

    /// The states of every dense label, ascending (`latent`).
    var statesOfLabels: [[Int]] {
        var states = [[Int]](repeating: [], count: labelCount)
        for state in 1..<stateCount {
            states[Int(nodes[state].label)].append(state)
        }
        return states
    }

    /// The transitions of `source` in insertion order, read in place by `body`.
    func withTransitions<Result>(from source: Int, _ body: (TransitionTargets) -> Result) -> Result {
        transitionLists.withPool { pool in
            let literal = source + 1 < stateCount ? source + 1 : -1
            return body(TransitionTargets(literal: literal, list: nodes[source].transitions, pool: pool))
        }
    }

    /// The transitions of `source` in insertion order (`trn[source]`).
    func transitions(from source: Int) -> [Int] {
        withTransitions(from: source) { Array($0) }
    }

    /// Forward transitions of every state, insertion order.
    var transitions: [[Int]] {
        (0..<stateCount).map(transitions(from:))
    }

    /// The states whose suffix link is `state`, ascending (`rsfx[state]`).
    func reverseSuffixLinks(of state: Int) -> [Int] {
        var children: [Int] = []
        children.reserveCapacity(reverseLinkLists.count(of: nodes[state].reverseLinks))
        forEachReverseLink(of: state) { child, _, _ in children.append(child) }
        return children
    }

    /// Reverse suffix links of every state, ascending.
    var reverseSuffixLinks: [[Int]] {
        var lists = (0..<stateCount).map { state -> [Int] in
            var list: [Int] = []
            list.reserveCapacity(reverseLinkLists.count(of: nodes[state].reverseLinks))
            return list
        }
        for state in 1..<max(1, stateCount) {
            lists[Int(nodes[state].suffixLink)].append(state)
        }
        return lists
    }
}

extension OracleStructure: Equatable {
    /// Same states, links, labels and transitions in the same order; the pool layout may differ (a restored
    /// oracle chains its transitions source by source, a built one in construction order).
    static func == (lhs: OracleStructure, rhs: OracleStructure) -> Bool {
        guard lhs.stateCount == rhs.stateCount, lhs.maxLRS == rhs.maxLRS, lhs.labelCount == rhs.labelCount,
            zip(lhs.nodes, rhs.nodes).allSatisfy({
                $0.suffixLink == $1.suffixLink && $0.lrs == $1.lrs && $0.label == $1.label
            })
        else { return false }
        for source in 0..<lhs.stateCount {
            let same = lhs.withTransitions(from: source) { left in
                rhs.withTransitions(from: source) { right in left.elementsEqual(right) }
            }
            if !same { return false }
        }
        return true
    }
}

/// First sibling of a reverse-suffix-link list by (target, context length, extending label): an open-addressing
/// hash table with linear probing, cheaper than `Dictionary` with its seeded SipHash for these integer keys.
struct SiblingIndex: Sendable {
    private struct Slot: Sendable {
        var target: Int32
        var length: Int32
        var label: Int32
        /// The sibling; -1 marks an empty slot.
        var state: Int32
    }

    private var slots: [Slot] = []
    private var count = 0

    @inline(__always)
    private static func hash(target: Int, length: Int, label: Int) -> Int {
        // Every key bit reaches the low bits that pick the slot.
        var value = UInt64(truncatingIfNeeded: target) &* 0x9E37_79B9_7F4A_7C15
        value ^= UInt64(truncatingIfNeeded: length) &* 0xC2B2_AE3D_27D4_EB4F
        value ^= UInt64(truncatingIfNeeded: label) &* 0x1656_67B1_9E37_79F9
        value ^= value >> 32
        value &*= 0xD6E8_FEB8_6659_FD93
        value ^= value >> 32
        return Int(truncatingIfNeeded: value)
    }

    /// The state stored for the key, or nil.
    func first(target: Int, length: Int, label: Int) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var position = Self.hash(target: target, length: length, label: label) & mask
        while true {
            let slot = slots[position]
            if slot.state < 0 { return nil }
            if slot.target == Int32(target) && slot.length == Int32(length) && slot.label == Int32(label) {
                return Int(slot.state)
            }
            position = (position + 1) & mask
        }
    }

    /// Stores `state` for the key unless the key already has a state (the first sibling wins).
    mutating func insertIfAbsent(target: Int, length: Int, label: Int, state: Int) {
        // Up to three quarters full: linear probing over small integer keys stays short, and the table (fresh
        // memory, a page fault per page) stays small.
        if (count + 1) * 4 > slots.count * 3 {
            grow()
        }
        let mask = slots.count - 1
        var position = Self.hash(target: target, length: length, label: label) & mask
        while slots[position].state >= 0 {
            let slot = slots[position]
            if slot.target == Int32(target) && slot.length == Int32(length) && slot.label == Int32(label) { return }
            position = (position + 1) & mask
        }
        slots[position] = Slot(target: Int32(target), length: Int32(length), label: Int32(label), state: Int32(state))
        count += 1
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](
            repeating: Slot(target: 0, length: 0, label: 0, state: -1), count: max(64, old.count * 2))
        count = 0
        for slot in old where slot.state >= 0 {
            insertIfAbsent(
                target: Int(slot.target), length: Int(slot.length), label: Int(slot.label), state: Int(slot.state))
        }
    }
}

// MARK: - Restoring from stored arrays

extension OracleStructure {
    /// Rebuilds a structure from stored `sfx`, `lrs`, `trn` and `data` arrays, checking that they are consistent
    /// with each other the way every construction leaves them; `rsfx` and `maxLRS` are recomputed.
    ///
    /// `labelField` names the `data` array in errors. Every state with a suffix link to the root must introduce a
    /// label not seen before, every other state must carry the label of its suffix-link target.
    init(
        rootLabel: Int,
        labels: [Int],
        labelField: OracleField,
        suffixLinks: [Int],
        lrs: [Int],
        transitions: TransitionRows
    ) throws(OracleError) {
        let stateCount = labels.count
        guard stateCount >= 1 else { throw .lengthMismatch(field: labelField, expected: 1, actual: 0) }
        guard suffixLinks.count == stateCount else {
            throw .lengthMismatch(field: .suffixLinks, expected: stateCount, actual: suffixLinks.count)
        }
        guard lrs.count == stateCount else {
            throw .lengthMismatch(field: .lrs, expected: stateCount, actual: lrs.count)
        }
        guard let rowCount = transitions.validRowCount else {
            throw .inconsistentStructure(field: .transitions, state: 0, reason: "row offsets are not ascending")
        }
        guard rowCount == stateCount else {
            throw .lengthMismatch(field: .transitions, expected: stateCount, actual: rowCount)
        }
        guard labels[0] == rootLabel else {
            throw .inconsistentStructure(field: labelField, state: 0, reason: "root entry must be \(rootLabel)")
        }
        guard suffixLinks[0] == -1 else {
            throw .inconsistentStructure(field: .suffixLinks, state: 0, reason: "root suffix link must be -1")
        }
        guard lrs[0] == 0 else {
            throw .inconsistentStructure(field: .lrs, state: 0, reason: "root LRS must be 0")
        }

        var firstStatesOfSymbols: [Int] = []
        var seenLabels = Set<Int>()
        var maximum = 0
        for state in 1..<stateCount {
            let link = suffixLinks[state]
            guard link >= 0 && link < state else {
                throw .inconsistentStructure(
                    field: .suffixLinks, state: state, reason: "suffix link \(link) is not in 0..<\(state)")
            }
            let length = lrs[state]
            guard length >= 0 && length <= link else {
                throw .inconsistentStructure(
                    field: .lrs, state: state, reason: "LRS \(length) is not in 0...\(link) (its suffix link)")
            }
            guard (length == 0) == (link == 0) else {
                throw .inconsistentStructure(
                    field: .lrs, state: state, reason: "LRS \(length) must be 0 exactly when the suffix link is 0")
            }
            let label = labels[state]
            if link == 0 {
                guard seenLabels.insert(label).inserted else {
                    throw .inconsistentStructure(
                        field: labelField, state: state,
                        reason: "label \(label) was seen before, yet the suffix link points to the root")
                }
                firstStatesOfSymbols.append(state)
            } else if label != labels[link] {
                throw .inconsistentStructure(
                    field: labelField, state: state,
                    reason: "label \(label) differs from label \(labels[link]) of its suffix-link target \(link)")
            }
            maximum = max(maximum, length)
        }

        let lastState = stateCount - 1
        for source in 0..<stateCount {
            let targets = transitions.row(source)
            var previous = source
            for target in targets {
                guard target > previous && target <= lastState else {
                    throw .inconsistentStructure(
                        field: .transitions, state: source,
                        reason: "target \(target) is not ascending in \(source + 1)...\(lastState)")
                }
                previous = target
            }
            if source < lastState && targets.first != source + 1 {
                throw .inconsistentStructure(
                    field: .transitions, state: source, reason: "first transition must be to \(source + 1)")
            }
        }
        // The root's transitions are the first state of every symbol, which the matchers rely on.
        guard transitions.row(0).elementsEqual(firstStatesOfSymbols) else {
            throw .inconsistentStructure(
                field: .transitions, state: 0,
                reason: "root transitions must list exactly the states whose suffix link is the root")
        }

        self.maxLRS = maximum
        self.labelCount = 0
        self.nodes = [StateNode](repeating: StateNode(), count: stateCount)
        transitionLists.reserveCapacity(additionalChunks: stateCount / 2)
        reverseLinkLists.reserveCapacity(additionalChunks: stateCount / 2)
        // Dense labels in order of first appearance; a state that is not new has its suffix-link target's label.
        for state in 1..<stateCount {
            let link = suffixLinks[state]
            nodes[state].suffixLink = Int32(link)
            nodes[state].lrs = Int32(lrs[state])
            if link == 0 {
                nodes[state].label = Int32(labelCount)
                labelCount += 1
            } else {
                nodes[state].label = nodes[link].label
            }
        }
        // The first transition of every state but the last is the literal continuation (checked above).
        for source in 0..<stateCount {
            for target in transitions.row(source).dropFirst() {
                addExtraTransition(from: source, to: target)
            }
        }
        for state in 1..<stateCount {
            registerReverseLink(from: state, to: suffixLinks[state])
        }
    }
}
