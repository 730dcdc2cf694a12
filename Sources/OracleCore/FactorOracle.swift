/// A Factor Oracle over integer symbols, built incrementally exactly as vmo 0.30.5 builds it (`flag='f'`).
///
/// State 0 is the root; state `i >= 1` ends with input `i - 1`. The oracle accepts every factor of its input by
/// following `transitions` from the root, the label of a transition being the symbol of its target state.
public struct FactorOracle: Sendable, Equatable, OracleGraph {
    private var structure: OracleStructure
    /// First state of every symbol: the root's transition for it, so the root is matched without a scan.
    private var firstStateOfSymbol: [Int: Int]
    /// The symbol of every dense label (symbols numbered in order of first appearance).
    private var symbolOfLabel: [Int]

    /// An oracle holding only the root.
    public init() {
        structure = OracleStructure()
        firstStateOfSymbol = [:]
        symbolOfLabel = []
    }

    /// Rebuilds an oracle from stored arrays, as produced by the properties of the same names.
    ///
    /// - Parameters:
    ///   - symbols: `data`: one entry per state, `0` (placeholder) at the root, then the input symbols.
    ///   - suffixLinks: `sfx`, `-1` at the root.
    ///   - lrs: `lrs`, `0` at the root.
    ///   - transitions: `trn`, targets ascending (the insertion order).
    /// - Throws: `OracleError.lengthMismatch` or `.inconsistentStructure` when the arrays cannot come from a
    ///   construction; `rsfx` and `maxLRS` are recomputed, never read.
    public init(symbols: [Int], suffixLinks: [Int], lrs: [Int], transitions: [[Int]]) throws(OracleError) {
        structure = try OracleStructure(
            rootLabel: 0, labels: symbols, labelField: .symbols,
            suffixLinks: suffixLinks, lrs: lrs, transitions: TransitionRows(transitions))
        firstStateOfSymbol = [:]
        symbolOfLabel = []
        // The root's transitions are the first states of the symbols, in order of first appearance.
        for state in structure.transitions(from: 0) {
            firstStateOfSymbol[symbols[state]] = state
            symbolOfLabel.append(symbols[state])
        }
    }

    /// Number of states, the root included (`n + 1`).
    public var stateCount: Int { structure.stateCount }
    /// Number of inputs appended so far (`n`).
    public var inputCount: Int { structure.stateCount - 1 }
    /// Suffix links (`sfx`); `-1` at the root. Built on each call (O(n)); prefer `suffixLink(of:)`.
    public var suffixLinks: [Int] { structure.suffixLinks }
    /// Repeated-suffix lengths (`lrs`), a lower bound of the true longest repeated suffix. Built on each call (O(n));
    /// prefer `lrs(of:)`.
    public var lrs: [Int] { structure.lrs }
    /// Forward transitions (`trn`) in insertion order, built on each call (O(n)); prefer `transitions(from:)`.
    public var transitions: [[Int]] { structure.transitions }
    /// Reverse suffix links (`rsfx`), ascending, built on each call (O(n)); prefer `reverseSuffixLinks(of:)`.
    public var reverseSuffixLinks: [[Int]] { structure.reverseSuffixLinks }
    /// Symbol of every state (`data`): `0` placeholder at the root. Built on each call (O(n)); prefer `symbol(of:)`.
    public var symbols: [Int] { [0] + (1..<stateCount).map(symbol(of:)) }
    /// Largest `lrs` value.
    public var maxLRS: Int { structure.maxLRS }

    /// The suffix link of `state` (`sfx[state]`); `-1` at the root.
    public func suffixLink(of state: Int) -> Int {
        precondition(state >= 0 && state < stateCount, "state \(state) is not in the oracle")
        return structure.suffixLink(of: state)
    }

    /// The repeated-suffix length of `state` (`lrs[state]`).
    public func lrs(of state: Int) -> Int {
        precondition(state >= 0 && state < stateCount, "state \(state) is not in the oracle")
        return structure.lrs(of: state)
    }

    /// The input symbol of `state` (`1 ..< stateCount`; the root has none).
    public func symbol(of state: Int) -> Int {
        precondition(state >= 1 && state < stateCount, "state \(state) has no symbol")
        return symbolOfLabel[Int(structure.label(of: state))]
    }

    /// The transitions of `state` in insertion order (`trn[state]`).
    public func transitions(from state: Int) -> [Int] {
        precondition(state >= 0 && state < stateCount, "state \(state) is not in the oracle")
        return structure.transitions(from: state)
    }

    /// The states whose suffix link is `state`, ascending (`rsfx[state]`).
    public func reverseSuffixLinks(of state: Int) -> [Int] {
        precondition(state >= 0 && state < stateCount, "state \(state) is not in the oracle")
        return structure.reverseSuffixLinks(of: state)
    }

    /// Number of distinct symbols seen.
    public var distinctSymbolCount: Int { firstStateOfSymbol.count }

    /// The first state carrying `symbol` (the root's transition for it), or nil if the symbol never occurred.
    public func firstState(of symbol: Int) -> Int? { firstStateOfSymbol[symbol] }

    /// Reserves storage for `additionalSymbols` more inputs.
    public mutating func reserveCapacity(_ additionalSymbols: Int) {
        structure.reserveCapacity(additionalStates: additionalSymbols)
    }

    /// Appends one input symbol and returns the state created for it.
    @discardableResult
    public mutating func append(_ symbol: Int) -> Int {
        let firstState = firstStateOfSymbol[symbol]
        let walk = structure.walk(SymbolMatcher(firstState: firstState))
        let insertion = structure.append(after: walk, rootMatch: firstState)
        if insertion.isNewSymbol {
            firstStateOfSymbol[symbol] = insertion.state
            symbolOfLabel.append(symbol)
        }
        return insertion.state
    }

    /// Appends every symbol of `symbols` in order.
    public mutating func append(contentsOf symbols: some Sequence<Int>) {
        reserveCapacity(symbols.underestimatedCount)
        for symbol in symbols {
            append(symbol)
        }
    }

    /// True when `factor` (a sequence of symbols) is accepted by the automaton from the root.
    public func accepts(_ factor: some Sequence<Int>) -> Bool {
        var state = 0
        for symbol in factor {
            guard let next = target(from: state, symbol: symbol) else { return false }
            state = next
        }
        return true
    }

    /// The transition target of `state` labelled `symbol`, or nil.
    public func target(from state: Int, symbol: Int) -> Int? {
        precondition(state >= 0 && state < stateCount, "state \(state) is not in the oracle")
        guard let firstState = firstStateOfSymbol[symbol] else { return nil }
        if state == 0 { return firstState }
        let label = structure.label(of: firstState)
        return structure.withTransitions(from: state) { targets in
            targets.first { structure.label(of: $0) == label }
        }
    }
}

/// Symbol equality: at most one target of a state carries a given symbol.
private struct SymbolMatcher: TransitionMatcher {
    /// The first state carrying the symbol (the root's transition for it), nil for a symbol not seen before.
    let firstState: Int?

    func matchingTarget(from source: Int, targets: TransitionTargets, nodes: UnsafeBufferPointer<StateNode>) -> Int? {
        // An unseen symbol is on no transition.
        guard let firstState else { return nil }
        let label = nodes[firstState].label
        return targets.first { nodes[$0].label == label }
    }
}
