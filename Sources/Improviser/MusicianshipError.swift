public import MusicHalCore

/// Why a harmony, motif, arc or setlist request was refused; `description` is what logs and `/fail` show.
public enum MusicianshipError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A chord name that could not be read, with what is wrong.
    case badChordName(String, reason: String)
    /// A performance arc needs a positive duration.
    case badArcDuration(frames: FrameTime)
    /// A learned loudness contour that cannot be used, with what is wrong.
    case badContour(String)
    /// A setlist needs at least one piece.
    case emptySetlist
    /// A setlist index outside the list.
    case setlistIndexOutOfRange(index: Int, count: Int)
    /// `next` at the last piece or `previous` at the first.
    case setlistEdge(String)
    /// A setlist piece with an invalid field, with what is wrong.
    case badSetlistPiece(String)

    /// One-line description.
    public var description: String {
        switch self {
        case .badChordName(let name, let reason): "'\(name)' is not a chord name: \(reason)"
        case .badArcDuration(let frames): "a performance arc needs a positive duration, got \(frames) frames"
        case .badContour(let reason): "the loudness contour cannot be used: \(reason)"
        case .emptySetlist: "a setlist needs at least one piece"
        case .setlistIndexOutOfRange(let index, let count):
            "piece \(index) does not exist: the setlist has \(count) piece\(count == 1 ? "" : "s") (0...\(count - 1))"
        case .setlistEdge(let reason): reason
        case .badSetlistPiece(let reason): reason
        }
    }
}
