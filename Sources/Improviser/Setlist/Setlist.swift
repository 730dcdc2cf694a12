public import MusicHalCore

/// A synth patch to select at the start of a piece: optional bank (MSB, LSB) and a program, as sent on the wire
/// (0...127).
public struct SynthPatch: Sendable, Hashable {
    /// Bank select MSB (CC 0), or nil to leave the bank alone.
    public let bankMSB: UInt8?
    /// Bank select LSB (CC 32), or nil.
    public let bankLSB: UInt8?
    /// Program number on the wire, 0...127 (a synth displaying 1...128 shows this plus one).
    public let program: UInt8

    /// Creates a patch; every value must be 0...127.
    public init(bankMSB: Int? = nil, bankLSB: Int? = nil, program: Int) throws(MusicianshipError) {
        for (name, value) in [("bank MSB", bankMSB), ("bank LSB", bankLSB), ("program", program)] {
            if let value, !(0...127).contains(value) {
                throw .badSetlistPiece("the \(name) must be 0...127 on the wire, got \(value)")
            }
        }
        self.bankMSB = bankMSB.map(UInt8.init)
        self.bankLSB = bankLSB.map(UInt8.init)
        self.program = UInt8(program)
    }

    /// The messages that select the patch on `channel` (0...15), in the order synths expect: bank select MSB
    /// (CC 0), bank select LSB (CC 32), then Program Change, which is what makes a bank change take effect.
    public func messages(channel: UInt8) -> [MIDIMessage] {
        var messages: [MIDIMessage] = []
        if let bankMSB { messages.append(.controlChange(channel: channel, controller: 0, value: bankMSB)) }
        if let bankLSB { messages.append(.controlChange(channel: channel, controller: 32, value: bankLSB)) }
        messages.append(.programChange(channel: channel, program: program))
        return messages
    }
}

/// One piece of a setlist: which memory to play from, how, for how long, and with which synth sound.
public struct SetlistPiece: Sendable, Hashable {
    /// Name shown to the performer.
    public var name: String
    /// Model name in the models directory.
    public var model: String
    /// Mode to switch to, or nil to keep the current one.
    public var mode: ImproviserMode?
    /// Agent parameters to set for the piece (names as in `AgentParameters.descriptors`).
    public var parameters: [String: Double]
    /// Length of the piece's performance arc in minutes, or nil for no arc.
    public var durationMinutes: Double?
    /// Synth patch to select, or nil.
    public var patch: SynthPatch?

    /// Creates a piece; the model name must not be empty, the duration must be positive, and every parameter
    /// must exist and lie in its range.
    public init(
        name: String, model: String, mode: ImproviserMode? = nil, parameters: [String: Double] = [:],
        durationMinutes: Double? = nil, patch: SynthPatch? = nil
    ) throws(MusicianshipError) {
        guard !model.isEmpty else { throw .badSetlistPiece("the model name must not be empty") }
        if let durationMinutes, !(durationMinutes.isFinite && durationMinutes > 0) {
            throw .badSetlistPiece("the duration must be a positive number of minutes, got \(durationMinutes)")
        }
        var check = AgentParameters()
        for (parameter, value) in parameters.sorted(by: { $0.key < $1.key }) {
            // Each value alone; whether bounds fit together depends on the parameters in force when played.
            do {
                try check.set(parameter, to: value)
            } catch .inconsistent {
                continue
            } catch {
                throw .badSetlistPiece(error.description)
            }
        }
        self.name = name.isEmpty ? model : name
        self.model = model
        self.mode = mode
        self.parameters = parameters
        self.durationMinutes = durationMinutes
        self.patch = patch
    }

    /// The parameter overrides as a list sorted by name (for `AgentParameters.set(_:)`, which checks them
    /// together).
    public var parameterList: [(name: String, value: Double)] {
        parameters.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }
}

/// A list of pieces with a cursor: the piece playing now, stepped with `next`, `previous` and `goto`.
///
/// Indices are zero-based. Stepping past either end is an error (nothing wraps around: an accidental `next`
/// after the last piece must not restart the set).
public struct Setlist: Sendable, Hashable {
    /// Name of the set, if given.
    public var name: String?
    /// The pieces in order (at least one).
    public let pieces: [SetlistPiece]
    /// Index of the current piece.
    public private(set) var index = 0

    /// Creates a setlist at its first piece; it needs at least one.
    public init(name: String? = nil, pieces: [SetlistPiece]) throws(MusicianshipError) {
        guard !pieces.isEmpty else { throw .emptySetlist }
        self.name = name
        self.pieces = pieces
    }

    /// The piece playing now.
    public var current: SetlistPiece { pieces[index] }

    /// The piece `next` would go to (the one to preload), or nil at the last piece.
    public var upcoming: SetlistPiece? { index + 1 < pieces.count ? pieces[index + 1] : nil }

    /// Moves to the next piece and returns it.
    @discardableResult
    public mutating func next() throws(MusicianshipError) -> SetlistPiece {
        guard index + 1 < pieces.count else {
            throw .setlistEdge("already at the last piece (\(index) '\(current.name)' of \(pieces.count))")
        }
        index += 1
        return current
    }

    /// Moves to the previous piece and returns it.
    @discardableResult
    public mutating func previous() throws(MusicianshipError) -> SetlistPiece {
        guard index > 0 else { throw .setlistEdge("already at the first piece (0 '\(current.name)')") }
        index -= 1
        return current
    }

    /// Moves to the piece at `index` (zero-based) and returns it.
    @discardableResult
    public mutating func goto(_ index: Int) throws(MusicianshipError) -> SetlistPiece {
        guard pieces.indices.contains(index) else {
            throw .setlistIndexOutOfRange(index: index, count: pieces.count)
        }
        self.index = index
        return current
    }
}
