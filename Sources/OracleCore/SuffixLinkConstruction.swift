/// Decides, for the input being added, which existing transition target it continues.
///
/// This is the only step where a Factor Oracle (symbol equality) and a Variable Markov Oracle (frame distance below
/// a threshold) differ; everything else in the construction is shared through `OracleStructure`.
protocol TransitionMatcher {
    /// The target among `targets` (the transitions of `state`, insertion order) that the new input matches, or nil.
    ///
    /// `labels` is the oracle's `data` array so far (the new state's own entry is not yet meaningful).
    func matchingTarget(among targets: [Int], from state: Int, labels: [Int]) -> Int?
}

/// The suffix structure shared by the Factor Oracle and the Variable Markov Oracle: `sfx`, `lrs`, `trn`, `rsfx`,
/// `data` and the running maximum of `lrs`, built one input at a time exactly as vmo 0.30.5 does (`'inc'` method).
struct OracleStructure: Sendable, Equatable {
    /// Suffix links; `-1` at the root.
    private(set) var suffixLinks: [Int]
    /// Repeated-suffix lengths.
    private(set) var lrs: [Int]
    /// Forward transitions, insertion order.
    private(set) var transitions: [[Int]]
    /// Reverse suffix links, ascending.
    private(set) var reverseSuffixLinks: [[Int]]
    /// Symbol (FO) or label (VMO) of every state; `rootLabel` at state 0.
    private(set) var labels: [Int]
    /// Largest `lrs` so far.
    private(set) var maxLRS: Int
    /// For reverse-suffix-link lists longer than `siblingScanLimit`: the first sibling with a given context length
    /// and extending label, so find-better stays O(1) at popular states instead of scanning a list that can grow
    /// with the input.
    private var firstSiblingIndex: [SiblingKey: Int] = [:]

    /// Reverse-suffix-link lists up to this length are scanned; longer ones are looked up in `firstSiblingIndex`.
    static let siblingScanLimit = 16

    /// Identifies the find-better condition: a sibling of `target` (in `rsfx[target]`) with LRS `length` whose
    /// input `length` steps back carries `label`.
    struct SiblingKey: Hashable, Sendable {
        var target: Int
        var length: Int
        var label: Int
    }

    /// What the construction of one state decided.
    struct Insertion {
        /// The new state.
        var state: Int
        /// True when the walk fell off the root, i.e. the input starts a new symbol or label.
        var isNewSymbol: Bool
    }

    /// An oracle with only the root, whose `data` entry is `rootLabel`.
    init(rootLabel: Int) {
        suffixLinks = [-1]
        lrs = [0]
        transitions = [[]]
        reverseSuffixLinks = [[]]
        labels = [rootLabel]
        maxLRS = 0
    }

    /// Number of states, the root included.
    var stateCount: Int { labels.count }

    /// Reserves room for `additionalStates` more states.
    mutating func reserveCapacity(additionalStates: Int) {
        let total = stateCount + max(0, additionalStates)
        suffixLinks.reserveCapacity(total)
        lrs.reserveCapacity(total)
        transitions.reserveCapacity(total)
        reverseSuffixLinks.reserveCapacity(total)
        labels.reserveCapacity(total)
    }

    /// Adds one state for the next input (spec §2, steps 1-5) and returns it.
    ///
    /// `labelIfNew` is the `data` value given to the state when its input matches nothing (FO: the symbol; VMO: the
    /// next label). Otherwise the state takes the label of the matched target.
    mutating func append(labelIfNew: Int, matcher: some TransitionMatcher) -> Insertion {
        let state = stateCount
        suffixLinks.append(-1)
        lrs.append(0)
        transitions.append([])
        reverseSuffixLinks.append([])
        labels.append(labelIfNew)

        // Step 1: the literal continuation.
        transitions[state - 1].append(state)

        // Step 2: forward-link walk along the suffix links, adding `k -> state` wherever the input is not yet
        // reachable; stops at the first state that already continues with a matching target.
        var walkState = suffixLinks[state - 1]
        var lastAdded = state - 1
        var candidate: Int?
        while walkState != -1 {
            if let target = matcher.matchingTarget(among: transitions[walkState], from: walkState, labels: labels) {
                candidate = target
                break
            }
            transitions[walkState].append(state)
            lastAdded = walkState
            walkState = suffixLinks[walkState]
        }

        // Step 3: suffix link and LRS.
        guard let matched = candidate else {
            suffixLinks[state] = 0
            registerReverseLink(from: state, to: 0)
            return Insertion(state: state, isNewSymbol: true)
        }
        labels[state] = labels[matched]
        var link = matched
        var length = longestCommonSuffix(lastAdded, matched - 1) + 1

        // Step 4: find-better. A state already pointing to the same target with the same context length, whose
        // context extends one input further with the same symbol, is a longer repeat.
        if let sibling = firstSibling(of: matched, length: length, label: labels[state - length]) {
            link = sibling
            length += 1
        }

        // Step 5.
        suffixLinks[state] = link
        lrs[state] = length
        registerReverseLink(from: state, to: link)
        maxLRS = max(maxLRS, length)
        return Insertion(state: state, isNewSymbol: false)
    }

    /// The first state (ascending) in `rsfx[target]` with LRS `length` whose input `length` steps back has `label`.
    private func firstSibling(of target: Int, length: Int, label: Int) -> Int? {
        let siblings = reverseSuffixLinks[target]
        if siblings.count > Self.siblingScanLimit {
            return firstSiblingIndex[SiblingKey(target: target, length: length, label: label)]
        }
        return siblings.first { lrs[$0] == length && labels[$0 - length] == label }
    }

    /// Appends `state` to `rsfx[link]` (its `lrs` and label are final), indexing lists that outgrow a scan.
    private mutating func registerReverseLink(from state: Int, to link: Int) {
        reverseSuffixLinks[link].append(state)
        // The root's list is never searched: find-better does not fire for new symbols.
        let count = reverseSuffixLinks[link].count
        guard link != 0, count > Self.siblingScanLimit else { return }
        let newlyIndexed = count == Self.siblingScanLimit + 1 ? reverseSuffixLinks[link] : [state]
        for sibling in newlyIndexed {
            let key = SiblingKey(target: link, length: lrs[sibling], label: labels[sibling - lrs[sibling]])
            if firstSiblingIndex[key] == nil {
                firstSiblingIndex[key] = sibling
            }
        }
    }

    /// The Lefebvre-Lecroq LCS rule: context length shared through the suffix-link tree by `first` and `second`.
    private func longestCommonSuffix(_ first: Int, _ second: Int) -> Int {
        let target = suffixLinks[first]
        if second == target { return lrs[first] }
        var walker = second
        while suffixLinks[walker] != target && walker != 0 {
            walker = suffixLinks[walker]
        }
        return min(lrs[first], lrs[walker])
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
        self.transitions = transitions
        self.reverseSuffixLinks = [[Int]](repeating: [], count: stateCount)
        self.labels = labels
        self.maxLRS = maximum
        for state in 1..<stateCount {
            registerReverseLink(from: state, to: suffixLinks[state])
        }
    }
}
