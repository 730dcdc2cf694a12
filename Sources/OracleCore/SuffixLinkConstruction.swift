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
    /// Pool offset of the next walk-added transition.
    private var position: Int
    /// Walk-added transitions not yet returned.
    private var remaining: Int
    private let pool: UnsafeBufferPointer<Int32>

    init(literal: Int, node: StateNode, pool: UnsafeBufferPointer<Int32>) {
        self.literal = literal
        self.position = Int(node.firstChunk) * TransitionChunk.stride
        self.remaining = Int(node.extraCount)
        self.pool = pool
    }

    @inline(__always)
    mutating func next() -> Int? {
        if literal >= 0 {
            defer { literal = -1 }
            return literal
        }
        guard remaining > 0 else { return nil }
        var value = pool[position]
        if position % TransitionChunk.stride == TransitionChunk.capacity {
            // The chunk's last slot links to the next chunk.
            position = Int(value) * TransitionChunk.stride
            value = pool[position]
        }
        position += 1
        remaining -= 1
        return Int(value)
    }
}

/// Layout of the pool of walk-added transitions (every transition but the literal `q -> q + 1`): chunks of eight
/// Int32 values, half a cache line, holding up to seven targets of one state in insertion order and, in the last
/// slot, the pool index of the state's next chunk (-1 for none), so a long list is read with few misses.
enum TransitionChunk {
    /// Targets per chunk.
    static let capacity = 7
    /// Int32 values per chunk.
    static let stride = 8
    /// A chunk with no targets and no next chunk.
    static let empty = [Int32](repeating: -1, count: stride)
}

/// Layout of the pool of reverse suffix links: chunks of sixteen Int32 values, one cache line, holding up to five
/// members of one state's `rsfx` list in insertion (ascending) order with what find-better compares (their states
/// in slots 0-4, their `lrs` in slots 5-9, their extending labels in slots 10-14) and the pool index of the list's
/// next chunk in slot 15, so a list is scanned a chunk, not a state, per cache miss.
enum ReverseChunk {
    /// Members per chunk.
    static let capacity = 5
    /// Int32 values per chunk.
    static let stride = 16
    /// Offset of the `lrs` slots.
    static let lengths = 5
    /// Offset of the extending-label slots.
    static let labels = 10
    /// Offset of the next-chunk slot.
    static let next = 15
    /// A chunk with no members and no next chunk.
    static let empty = [Int32](repeating: -1, count: stride)
}

/// What the construction reads and updates at random states, in one record so that a visit to a state costs one
/// cache miss rather than one per array.
struct StateNode: Sendable, Equatable {
    /// `sfx`; -1 at the root.
    var suffixLink: Int32 = -1
    /// `lrs`.
    var lrs: Int32 = 0
    /// Dense label: the VMO label, or the Factor Oracle symbol's number in order of first appearance.
    var label: Int32 = 0
    /// Pool index of the first chunk of walk-added transitions, or -1.
    var firstChunk: Int32 = -1
    /// Pool index of the last chunk, or -1.
    var lastChunk: Int32 = -1
    /// Number of walk-added transitions.
    var extraCount: Int32 = 0
    /// Pool index of the first chunk of `rsfx`, or -1.
    var firstReverseChunk: Int32 = -1
    /// Pool index of the last chunk of `rsfx`, or -1.
    var lastReverseChunk: Int32 = -1
    /// Length of `rsfx`.
    var childCount: Int32 = 0
}

/// The suffix structure shared by the Factor Oracle and the Variable Markov Oracle: `sfx`, `lrs`, `trn`, `rsfx`,
/// `data` and the running maximum of `lrs`, built one input at a time exactly as vmo 0.30.5 does (`'inc'` method).
///
/// Storage avoids one heap array per state: `q -> q + 1` is always the first transition of `q` and is implicit, the
/// transitions added by suffix walks (about as many as states) are kept in chunks in one pool, and `rsfx` lists are
/// chained through the states themselves, both in insertion order, which is ascending. The construction reads
/// `StateNode` records only; `suffixLinks`, `lrs` and `labels` are kept as arrays for readers, written once per state.
struct OracleStructure: Sendable {
    /// Suffix links; `-1` at the root.
    private(set) var suffixLinks: [Int]
    /// Repeated-suffix lengths.
    private(set) var lrs: [Int]
    /// Symbol (FO) or label (VMO) of every state; `rootLabel` at state 0.
    private(set) var labels: [Int]
    /// Largest `lrs` so far.
    private(set) var maxLRS: Int
    /// Per-state records.
    private var nodes: [StateNode]
    /// Walk-added transitions of all states, in chunks (`TransitionChunk`).
    private var extraTransitions: [Int32]
    /// Reverse suffix links of all states, in chunks (`ReverseChunk`).
    private var reverseChunks: [Int32]
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

    /// An oracle with only the root, whose `data` entry is `rootLabel`.
    init(rootLabel: Int) {
        suffixLinks = [-1]
        lrs = [0]
        labels = [rootLabel]
        maxLRS = 0
        nodes = [StateNode()]
        extraTransitions = []
        reverseChunks = []
    }

    /// Number of states, the root included.
    var stateCount: Int { nodes.count }

    /// Reserves room for `additionalStates` more states.
    mutating func reserveCapacity(additionalStates: Int) {
        let total = stateCount + max(0, additionalStates)
        suffixLinks.reserveCapacity(total)
        lrs.reserveCapacity(total)
        labels.reserveCapacity(total)
        nodes.reserveCapacity(total)
        // Up to a third of the states get walk-added transitions or reverse suffix links, a few of them more than a
        // chunk's worth; room that is never written costs no memory, outgrowing it costs a copy.
        extraTransitions.reserveCapacity(
            extraTransitions.count + max(0, additionalStates) / 2 * TransitionChunk.stride)
        reverseChunks.reserveCapacity(reverseChunks.count + max(0, additionalStates) / 2 * ReverseChunk.stride)
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
    /// `append(after:rootMatch:newLabel:value:)`, together with every other write.
    func walk(_ matcher: some TransitionMatcher) -> Walk {
        nodes.withUnsafeBufferPointer { nodes in
            extraTransitions.withUnsafeBufferPointer { pool in
                let state = nodes.count
                var walkState = Int(nodes[state - 1].suffixLink)
                var walk = Walk(passedCount: 0, lastPassed: state - 1, matched: nil)
                while walkState > 0 {
                    // A walked state always has its literal continuation: it precedes the state being added.
                    let targets = TransitionTargets(literal: walkState + 1, node: nodes[walkState], pool: pool)
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
    /// only when the walk reached the root. A state whose input matches nothing gets the dense label `newLabel`;
    /// otherwise it takes the dense label of the matched target. Its `data` entry is `value`, or its dense label
    /// when `value` is nil.
    mutating func append(after walk: Walk, rootMatch: Int?, newLabel: Int32, value: Int?) -> Insertion {
        let state = stateCount
        precondition(state < Int(Int32.max), "an oracle holds fewer than 2^31 states")
        var passedCount = walk.passedCount
        var link = 0
        var length = 0
        var label = newLabel
        if let matched = walk.matched ?? (walk.reachedRoot ? rootMatch : nil) {
            (link, length) = suffixLink(of: state, matched: matched, lastPassed: walk.lastPassed)
            label = nodes[matched].label
        } else if walk.reachedRoot {
            // Step 3 for an input that fell off the root: a new symbol, and the root gets a transition too.
            passedCount += 1
        }
        // Step 1: the literal continuation `state - 1 -> state` is implicit in the storage. Step 5.
        nodes.append(StateNode(suffixLink: Int32(link), lrs: Int32(length), label: label))
        suffixLinks.append(link)
        lrs.append(length)
        labels.append(value ?? Int(label))
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
        var node = nodes[source]
        let slot = Int(node.extraCount) % TransitionChunk.capacity
        if slot == 0 {
            let chunk = Int32(extraTransitions.count / TransitionChunk.stride)
            extraTransitions.append(contentsOf: TransitionChunk.empty)
            if node.lastChunk >= 0 {
                extraTransitions[Int(node.lastChunk) * TransitionChunk.stride + TransitionChunk.capacity] = chunk
            } else {
                node.firstChunk = chunk
            }
            node.lastChunk = chunk
        }
        extraTransitions[Int(node.lastChunk) * TransitionChunk.stride + slot] = Int32(target)
        node.extraCount += 1
        nodes[source] = node
    }

    /// The first state (ascending) in `rsfx[target]` with LRS `length` whose input `length` steps back has the
    /// dense label `label` (never the root's: `lrs <= sfx < state`).
    private func firstSibling(
        _ nodes: UnsafeBufferPointer<StateNode>, of target: Int, length: Int, label: Int32
    ) -> Int? {
        let node = nodes[target]
        if Int(node.childCount) > Self.siblingScanLimit {
            return siblingIndex.first(target: target, length: length, label: Int(label))
        }
        return reverseChunks.withUnsafeBufferPointer { pool in
            var remaining = Int(node.childCount)
            var chunk = Int(node.firstReverseChunk) * ReverseChunk.stride
            while remaining > 0 {
                for slot in chunk..<chunk + min(remaining, ReverseChunk.capacity)
                where Int(pool[slot + ReverseChunk.lengths]) == length && pool[slot + ReverseChunk.labels] == label {
                    return Int(pool[slot])
                }
                remaining -= ReverseChunk.capacity
                chunk = Int(pool[chunk + ReverseChunk.next]) * ReverseChunk.stride
            }
            return nil
        }
    }

    /// Appends `state` to `rsfx[link]` (its `lrs` and label are final), indexing lists that outgrow a scan.
    private mutating func registerReverseLink(from state: Int, to link: Int) {
        let length = nodes[state].lrs
        let extendingLabel = nodes[state - Int(length)].label
        var node = nodes[link]
        let slot = Int(node.childCount) % ReverseChunk.capacity
        if slot == 0 {
            let chunk = Int32(reverseChunks.count / ReverseChunk.stride)
            reverseChunks.append(contentsOf: ReverseChunk.empty)
            if node.lastReverseChunk >= 0 {
                reverseChunks[Int(node.lastReverseChunk) * ReverseChunk.stride + ReverseChunk.next] = chunk
            } else {
                node.firstReverseChunk = chunk
            }
            node.lastReverseChunk = chunk
        }
        let position = Int(node.lastReverseChunk) * ReverseChunk.stride + slot
        reverseChunks.withUnsafeMutableBufferPointer { pool in
            pool[position] = Int32(state)
            pool[position + ReverseChunk.lengths] = length
            pool[position + ReverseChunk.labels] = extendingLabel
        }
        node.childCount += 1
        nodes[link] = node
        // The root's list is never searched: find-better does not fire for new symbols.
        let count = Int(node.childCount)
        guard link != 0, count > Self.siblingScanLimit else { return }
        if count > Self.siblingScanLimit + 1 {
            siblingIndex.insertIfAbsent(target: link, length: Int(length), label: Int(extendingLabel), state: state)
            return
        }
        // The list just outgrew the scan: index all of it (collected first, so the index is not updated while
        // the list is being read).
        var members: [(state: Int, length: Int32, label: Int32)] = []
        forEachReverseLink(of: link) { members.append(($0, $1, $2)) }
        for member in members {
            siblingIndex.insertIfAbsent(
                target: link, length: Int(member.length), label: Int(member.label), state: member.state)
        }
    }

    /// Calls `body` with every member of `rsfx[state]` in ascending order, with its `lrs` and extending label.
    private func forEachReverseLink(of state: Int, _ body: (Int, Int32, Int32) -> Void) {
        var remaining = Int(nodes[state].childCount)
        var chunk = Int(nodes[state].firstReverseChunk) * ReverseChunk.stride
        while remaining > 0 {
            for slot in chunk..<chunk + min(remaining, ReverseChunk.capacity) {
                body(
                    Int(reverseChunks[slot]), reverseChunks[slot + ReverseChunk.lengths],
                    reverseChunks[slot + ReverseChunk.labels])
            }
            remaining -= ReverseChunk.capacity
            chunk = Int(reverseChunks[chunk + ReverseChunk.next]) * ReverseChunk.stride
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

    // MARK: - Reading the chains

    /// The dense label of `state`.
    func label(of state: Int) -> Int32 { nodes[state].label }

    /// The transitions of `source` in insertion order, read in place by `body`.
    func withTransitions<Result>(from source: Int, _ body: (TransitionTargets) -> Result) -> Result {
        extraTransitions.withUnsafeBufferPointer { pool in
            let literal = source + 1 < stateCount ? source + 1 : -1
            return body(TransitionTargets(literal: literal, node: nodes[source], pool: pool))
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
        children.reserveCapacity(Int(nodes[state].childCount))
        forEachReverseLink(of: state) { child, _, _ in children.append(child) }
        return children
    }

    /// Reverse suffix links of every state, ascending.
    var reverseSuffixLinks: [[Int]] {
        var lists = (0..<stateCount).map { state -> [Int] in
            var list: [Int] = []
            list.reserveCapacity(Int(nodes[state].childCount))
            return list
        }
        for state in 1..<max(1, stateCount) {
            lists[suffixLinks[state]].append(state)
        }
        return lists
    }
}

extension OracleStructure: Equatable {
    /// Same states, links, labels and transitions in the same order; the pool layout may differ (a restored
    /// oracle chains its transitions source by source, a built one in construction order).
    static func == (lhs: OracleStructure, rhs: OracleStructure) -> Bool {
        guard lhs.suffixLinks == rhs.suffixLinks, lhs.lrs == rhs.lrs, lhs.labels == rhs.labels,
            lhs.maxLRS == rhs.maxLRS
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
        if (count + 1) * 2 > slots.count {
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
        transitions: [[Int]]
    ) throws(OracleError) {
        let stateCount = labels.count
        guard stateCount >= 1 else { throw .lengthMismatch(field: labelField, expected: 1, actual: 0) }
        guard suffixLinks.count == stateCount else {
            throw .lengthMismatch(field: .suffixLinks, expected: stateCount, actual: suffixLinks.count)
        }
        guard lrs.count == stateCount else {
            throw .lengthMismatch(field: .lrs, expected: stateCount, actual: lrs.count)
        }
        guard transitions.count == stateCount else {
            throw .lengthMismatch(field: .transitions, expected: stateCount, actual: transitions.count)
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
        for (source, targets) in transitions.enumerated() {
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
        guard transitions[0] == firstStatesOfSymbols else {
            throw .inconsistentStructure(
                field: .transitions, state: 0,
                reason: "root transitions must list exactly the states whose suffix link is the root")
        }

        self.suffixLinks = suffixLinks
        self.lrs = lrs
        self.labels = labels
        self.maxLRS = maximum
        self.nodes = [StateNode](repeating: StateNode(), count: stateCount)
        self.extraTransitions = []
        self.reverseChunks = []
        // Dense labels in order of first appearance; a state that is not new has its suffix-link target's label.
        var nextLabel: Int32 = 0
        for state in 1..<stateCount {
            let link = suffixLinks[state]
            nodes[state].suffixLink = Int32(link)
            nodes[state].lrs = Int32(lrs[state])
            if link == 0 {
                nodes[state].label = nextLabel
                nextLabel += 1
            } else {
                nodes[state].label = nodes[link].label
            }
        }
        // The first transition of every state but the last is the literal continuation (checked above).
        for (source, targets) in transitions.enumerated() {
            for target in targets.dropFirst() {
                addExtraTransition(from: source, to: target)
            }
        }
        for state in 1..<stateCount {
            registerReverseLink(from: state, to: suffixLinks[state])
        }
    }
}
