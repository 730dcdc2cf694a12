/// The read-only graph of a Factor Oracle or Variable Markov Oracle, as navigation and analysis see it.
///
/// States are `0 ..< stateCount`; state 0 is the root (empty prefix) and state `i >= 1` ends with input `i - 1`.
public protocol OracleGraph {
    /// Number of states, the root included (`n + 1` for `n` inputs).
    var stateCount: Int { get }
    /// Suffix link of every state; `-1` at the root, which has none.
    var suffixLinks: [Int] { get }
    /// Length of the repeated suffix each suffix link stands for (0 at the root and at new symbols).
    var lrs: [Int] { get }
    /// Forward transitions of every state, as target states in insertion order.
    var transitions: [[Int]] { get }
    /// For every state, the states whose suffix link points to it, ascending.
    var reverseSuffixLinks: [[Int]] { get }

    /// The suffix link of `state`; `-1` at the root.
    func suffixLink(of state: Int) -> Int
    /// The repeated-suffix length of `state`.
    func lrs(of state: Int) -> Int
    /// The forward transitions of `state`, as target states in insertion order.
    func transitions(from state: Int) -> [Int]
    /// The states whose suffix link points to `state`, ascending.
    func reverseSuffixLinks(of state: Int) -> [Int]
}

extension OracleGraph {
    /// The suffix link of `state`, read from `suffixLinks`.
    public func suffixLink(of state: Int) -> Int { suffixLinks[state] }
    /// The repeated-suffix length of `state`, read from `lrs`.
    public func lrs(of state: Int) -> Int { lrs[state] }
    /// The forward transitions of `state`, read from `transitions`.
    public func transitions(from state: Int) -> [Int] { transitions[state] }
    /// The states whose suffix link points to `state`, read from `reverseSuffixLinks`.
    public func reverseSuffixLinks(of state: Int) -> [Int] { reverseSuffixLinks[state] }
}
