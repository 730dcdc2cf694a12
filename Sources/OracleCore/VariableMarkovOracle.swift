/// A Variable Markov Oracle (audio oracle) over feature frames, built incrementally exactly as vmo 0.30.5 builds
/// it with `flag='a'`, Euclidean distance and the `'inc'` suffix method.
///
/// A new frame continues a state when its plain Euclidean distance (Float64) to a target frame is strictly below
/// `threshold`; frames that reach the root without a match start a new label. State 0 is the root and has no
/// frame; state `i >= 1` stores input frame `i - 1`.
public struct VariableMarkovOracle: Sendable, Equatable, OracleGraph {
    private var structure: OracleStructure
    private var store: FrameStore
    /// Distance below which two frames are the same symbol.
    public let threshold: Double

    /// An empty oracle for frames of `dimension` features.
    ///
    /// - Throws: `OracleError.invalidDimension` when `dimension < 1`, `.invalidThreshold` when `threshold` is
    ///   negative, NaN or infinite. A threshold of 0 makes every frame its own label.
    public init(dimension: Int, threshold: Double) throws(OracleError) {
        guard dimension >= 1 else { throw .invalidDimension(dimension) }
        guard threshold.isFinite && threshold >= 0 else { throw .invalidThreshold(threshold) }
        structure = OracleStructure()
        store = FrameStore(dimension: dimension, threshold: threshold)
        self.threshold = threshold
    }

    /// Rebuilds an oracle from stored arrays (for loading model files).
    ///
    /// - Parameters:
    ///   - frames: the `n` input frames, contiguous (`n * dimension` values, frame of state `i` first at
    ///     `(i - 1) * dimension`), kept as one block.
    ///   - suffixLinks: `sfx`, `n + 1` entries, `-1` at the root.
    ///   - lrs: `lrs`, `n + 1` entries.
    ///   - transitions: `trn`, `n + 1` rows of targets in insertion (ascending) order.
    ///   - labels: `data`, `n + 1` entries, `-1` at the root, labels numbered in order of first appearance.
    /// - Throws: an `OracleError` describing the first inconsistency; `rsfx`, `latent` and `maxLRS` are rebuilt.
    public init(
        dimension: Int, threshold: Double, frames: [Double],
        suffixLinks: [Int], lrs: [Int], transitions: TransitionRows, labels: [Int]
    ) throws(OracleError) {
        try self.init(dimension: dimension, threshold: threshold)
        guard labels.count >= 1 else { throw .lengthMismatch(field: .labels, expected: 1, actual: 0) }
        let frameCount = labels.count - 1
        guard frames.count == frameCount * dimension else {
            throw .lengthMismatch(field: .frames, expected: frameCount * dimension, actual: frames.count)
        }
        try store.restoreFrames(contiguous: frames, count: frameCount)
        try restoreStructure(suffixLinks: suffixLinks, lrs: lrs, transitions: transitions, labels: labels)
    }

    /// Rebuilds an oracle from stored arrays with one array per frame (frame of state `i` at `frames[i - 1]`, kept
    /// as they are); see the contiguous-frame initializer.
    public init(
        dimension: Int, threshold: Double, frames: [[Double]],
        suffixLinks: [Int], lrs: [Int], transitions: TransitionRows, labels: [Int]
    ) throws(OracleError) {
        try self.init(dimension: dimension, threshold: threshold)
        guard labels.count >= 1 else { throw .lengthMismatch(field: .labels, expected: 1, actual: 0) }
        guard frames.count == labels.count - 1 else {
            throw .lengthMismatch(
                field: .frames, expected: (labels.count - 1) * dimension, actual: frames.count * dimension)
        }
        try store.appendFrames(frames)
        try restoreStructure(suffixLinks: suffixLinks, lrs: lrs, transitions: transitions, labels: labels)
    }

    /// Rebuilds an oracle from stored arrays with contiguous frames and one list of targets per state.
    public init(
        dimension: Int, threshold: Double, frames: [Double],
        suffixLinks: [Int], lrs: [Int], transitions: [[Int]], labels: [Int]
    ) throws(OracleError) {
        try self.init(
            dimension: dimension, threshold: threshold, frames: frames, suffixLinks: suffixLinks, lrs: lrs,
            transitions: TransitionRows(transitions), labels: labels)
    }

    /// Rebuilds an oracle from stored arrays with one array per frame and one list of targets per state.
    public init(
        dimension: Int, threshold: Double, frames: [[Double]],
        suffixLinks: [Int], lrs: [Int], transitions: [[Int]], labels: [Int]
    ) throws(OracleError) {
        try self.init(
            dimension: dimension, threshold: threshold, frames: frames, suffixLinks: suffixLinks, lrs: lrs,
            transitions: TransitionRows(transitions), labels: labels)
    }

    /// The restore step shared by the initializers, once the frames are stored.
    private mutating func restoreStructure(
        suffixLinks: [Int], lrs: [Int], transitions: TransitionRows, labels: [Int]
    ) throws(OracleError) {
        structure = try OracleStructure(
            rootLabel: -1, labels: labels, labelField: .labels,
            suffixLinks: suffixLinks, lrs: lrs, transitions: transitions)
        // Labels are numbered in order of first appearance: a state starting a new label takes the next number.
        var labelCount = 0
        for state in 1..<labels.count where suffixLinks[state] == 0 {
            guard labels[state] == labelCount else {
                throw .inconsistentStructure(
                    field: .labels, state: state,
                    reason: "new label \(labels[state]) should be \(labelCount) (order of first appearance)")
            }
            labelCount += 1
        }
        let bad = store.mirrorPendingFrames()
        precondition(bad == nil, "restored frames are checked")
        // Stored transitions may come from another threshold or another construction.
        store.targetsAreSeparated = false
        for state in structure.transitions(from: 0) {
            store.appendRepresentative(ofState: state)
        }
    }

    /// Number of states, the root included (`n + 1`).
    public var stateCount: Int { structure.stateCount }
    /// Number of frames appended so far (`n`).
    public var inputCount: Int { structure.stateCount - 1 }
    /// Number of features per frame.
    public var dimension: Int { store.dimension }
    /// Suffix links (`sfx`); `-1` at the root. Built on each call (O(n)); prefer `suffixLink(of:)`.
    public var suffixLinks: [Int] { structure.suffixLinks }
    /// Repeated-suffix lengths (`lrs`), a lower bound of the true longest repeated suffix. Built on each call (O(n));
    /// prefer `lrs(of:)`.
    public var lrs: [Int] { structure.lrs }
    /// Forward transitions (`trn`) in insertion order, built on each call (O(n)); prefer `transitions(from:)`.
    public var transitions: [[Int]] { structure.transitions }
    /// Reverse suffix links (`rsfx`), ascending, built on each call (O(n)); prefer `reverseSuffixLinks(of:)`.
    public var reverseSuffixLinks: [[Int]] { structure.reverseSuffixLinks }
    /// Label of every state (`data`): `-1` at the root, then labels numbered by first appearance. Built on each call
    /// (O(n)); prefer `label(of:)`.
    public var labels: [Int] { structure.labels(root: -1) }
    /// States of every label in insertion order (`latent`); the first entry is the label's representative. Built on
    /// each call (O(n)); prefer `states(ofLabel:)`.
    public var latent: [[Int]] { structure.statesOfLabels }
    /// Number of labels (symbols of the learned alphabet).
    public var labelCount: Int { structure.labelCount }
    /// Largest `lrs` value.
    public var maxLRS: Int { structure.maxLRS }
    /// All frames, contiguous: frame of state `i` at `(i - 1) * dimension ..< i * dimension`.
    /// Built on each call (O(n)).
    public var flatFrames: [Double] { store.flatFrames }

    /// The stored frame of `state` (`1 ..< stateCount`; the root has no frame).
    public func frame(of state: Int) -> ArraySlice<Double> {
        precondition(state >= 1 && state < stateCount, "state \(state) has no frame")
        return store.frame(of: state)
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

    /// The label of `state` (`1 ..< stateCount`; the root has none).
    public func label(of state: Int) -> Int {
        precondition(state >= 1 && state < stateCount, "state \(state) has no label")
        return Int(structure.label(of: state))
    }

    /// The states carrying `label`, in insertion order (`latent[label]`); one pass over all states.
    public func states(ofLabel label: Int) -> [Int] {
        precondition(label >= 0 && label < labelCount, "label \(label) is not in the oracle")
        return structure.states(ofLabel: label)
    }

    /// The first state of `label`, whose frame the root compares new frames with.
    public func representativeState(ofLabel label: Int) -> Int {
        precondition(label >= 0 && label < labelCount, "label \(label) is not in the oracle")
        return store.representativeStates[label]
    }

    /// Reserves storage for `additionalFrames` more frames.
    public mutating func reserveCapacity(_ additionalFrames: Int) {
        structure.reserveCapacity(additionalStates: additionalFrames)
        store.reserveCapacity(additionalFrames: additionalFrames)
    }

    /// Appends one frame and returns the state created for it.
    ///
    /// - Throws: `OracleError.dimensionMismatch` or `.nonFiniteFeature`; the oracle is unchanged then.
    @discardableResult
    public mutating func append(_ frame: [Double]) throws(OracleError) -> Int {
        // The frame is checked as it is mirrored; a bad one is taken back out.
        store.appendFrame(unchecked: frame)
        guard store.mirrorPendingFrames() == nil else {
            store.removeLastFrame()
            throw FrameStore.error(for: frame, index: 0, dimension: dimension)
        }
        return addStateForMirroredFrame()
    }

    /// Appends one single-precision frame (each value converted exactly to Double) and returns its state.
    ///
    /// - Throws: `OracleError.dimensionMismatch` or `.nonFiniteFeature`; the oracle is unchanged then.
    @discardableResult
    public mutating func append(_ frame: [Float]) throws(OracleError) -> Int {
        try append(frame.map(Double.init))
    }

    /// Appends every frame in order after checking all of them.
    ///
    /// - Throws: `OracleError.emptyInput`, `.dimensionMismatch` or `.nonFiniteFeature` (frame index within
    ///   `frames`); nothing is appended then.
    public mutating func append(contentsOf frames: [[Double]]) throws(OracleError) {
        guard !frames.isEmpty else { throw .emptyInput }
        guard inputCount == 0 else {
            // One pass checks and stores every frame (nothing is stored on a bad one), then the states are built.
            try store.appendFrames(frames)
            addStatesForStoredFrames()
            return
        }
        // The store takes the frames array as it is.
        store.appendFrames(unchecked: frames)
        try addStatesForUncheckedFrames()
    }

    /// Appends the frames held contiguously in `frames`, `dimension` values each (frame `k` from
    /// `frames[k * dimension]`), as feature matrices usually are, after checking all of them. Into an empty oracle
    /// the array is stored as it is, and each value is read once before the construction.
    ///
    /// - Throws: `OracleError.emptyInput`, `.dimensionMismatch` (a last frame with fewer values; its index within
    ///   `frames`) or `.nonFiniteFeature`; nothing is appended then.
    public mutating func append(contiguousFrames frames: [Double]) throws(OracleError) {
        guard !frames.isEmpty else { throw .emptyInput }
        guard frames.count % dimension == 0 else {
            throw .dimensionMismatch(
                frame: frames.count / dimension, expected: dimension, actual: frames.count % dimension)
        }
        guard inputCount == 0 else {
            // Checked first, so that nothing is stored on a bad frame.
            if let bad = FrameStore.firstNonFinite(in: frames) {
                throw .nonFiniteFeature(frame: bad / dimension, component: bad % dimension)
            }
            store.appendFrames(contiguous: frames)
            addStatesForStoredFrames()
            return
        }
        store.appendFrames(contiguous: frames)
        try addStatesForUncheckedFrames()
    }

    /// Appends the frames held contiguously in `frames`, already checked for length and finiteness.
    mutating func appendValidated(contiguousFrames frames: [Double]) {
        store.appendFrames(contiguous: frames)
        addStatesForStoredFrames()
    }

    /// In an empty oracle whose store holds frames not yet checked: checks them as they are mirrored, which reads
    /// them anyway (a separate pass would read every frame twice), then builds their states. A bad frame leaves
    /// the oracle empty again.
    private mutating func addStatesForUncheckedFrames() throws(OracleError) {
        if let bad = store.mirrorPendingFrames() {
            let error = store.error(forFrameAt: bad, inputFrom: 0)
            store = FrameStore(dimension: store.dimension, threshold: threshold)
            throw error
        }
        addStatesForStoredFrames()
    }

    /// Mirrors the stored frames that have no state yet (already checked) and builds their states.
    private mutating func addStatesForStoredFrames() {
        let bad = store.mirrorPendingFrames()
        precondition(bad == nil, "frames are checked before they are stored")
        let count = store.frameCount - inputCount
        structure.reserveCapacity(additionalStates: count)
        for _ in 0..<count {
            addStateForMirroredFrame()
        }
    }

    /// Checks one frame's length and values.
    static func validate(_ frame: [Double], index: Int, dimension: Int) throws(OracleError) {
        guard frame.count == dimension else {
            throw .dimensionMismatch(frame: index, expected: dimension, actual: frame.count)
        }
        if let component = frame.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteFeature(frame: index, component: component)
        }
    }

    /// Construction of the state for the first stored frame that has none yet (spec §2); the frame is mirrored.
    @discardableResult
    private mutating func addStateForMirroredFrame() -> Int {
        let frameIndex = structure.stateCount - 1
        let walk = Self.walk(&structure, &store, frameIndex: frameIndex)
        // At the root the targets are the first state of every label, in label order.
        let rootMatch = walk.reachedRoot ? store.nearestRepresentativeState(toFrameAt: frameIndex) : nil
        let insertion = structure.append(after: walk, rootMatch: rootMatch)
        if insertion.isNewSymbol {
            store.appendRepresentative(ofState: insertion.state)
        }
        return insertion.state
    }

    /// Step 2 of the construction for the stored frame at `frameIndex` (mirrored), up to the root. Both are only
    /// read; they are `inout` so that nothing is copied on the way (a copy of either costs reference counting on
    /// every array).
    private static func walk(
        _ structure: inout OracleStructure, _ store: inout FrameStore, frameIndex: Int
    ) -> OracleStructure.Walk {
        store.withMatcher(forFrameAt: frameIndex, passing: &structure) { matcher, structure in structure.walk(matcher) }
    }

    /// A distance query against this oracle's frames; `body` must not let the query escape.
    func withQuery<Result>(_ frame: [Double], _ body: (FrameQuery) -> Result) -> Result {
        frame.withUnsafeBufferPointer { query in
            body(FrameQuery(store: store, query: query.baseAddress!, threshold: threshold))
        }
    }
}
