public import MusicHalCore

/// A short melodic idea the agent played: its shape (intervals) and rhythm (inter-onset times, durations,
/// velocities), independent of where it started.
public struct Motif: Sendable, Hashable {
    /// Pitch of the first note (MIDI; may lie outside 0...127 after a transformation, until it is placed).
    public var firstPitch: Int
    /// Semitones from each note to the next (one fewer than the notes).
    public var intervals: [Int]
    /// Frames from each onset to the next (one fewer than the notes).
    public var interOnsets: [FrameTime]
    /// Length of each note in frames.
    public var durations: [FrameTime]
    /// Velocity of each note.
    public var velocities: [UInt8]
    /// The voice that played it.
    public var voice: Voice
    /// Frame at which it was first played.
    public var recordedAt: FrameTime

    /// The motif of a phrase's notes (sorted by onset), or nil for fewer than two notes.
    public init?(notes: [Note]) {
        let sorted = notes.sorted { $0.startFrame < $1.startFrame }
        guard sorted.count >= 2 else { return nil }
        firstPitch = Int(sorted[0].pitch)
        intervals = zip(sorted, sorted.dropFirst()).map { Int($1.pitch) - Int($0.pitch) }
        interOnsets = zip(sorted, sorted.dropFirst()).map { $1.startFrame - $0.startFrame }
        durations = sorted.map(\.durationFrames)
        velocities = sorted.map(\.velocity)
        voice = sorted[0].voice
        recordedAt = sorted[0].startFrame
    }

    /// Number of notes.
    public var noteCount: Int { durations.count }

    /// The pitches, from the first pitch along the intervals.
    public var pitches: [Int] {
        var pitch = firstPitch
        var result = [pitch]
        result.reserveCapacity(noteCount)
        for interval in intervals {
            pitch += interval
            result.append(pitch)
        }
        return result
    }

    /// Frames from the first onset to each onset (the first is 0).
    public var onsets: [FrameTime] {
        var time: FrameTime = 0
        var result: [FrameTime] = [0]
        result.reserveCapacity(noteCount)
        for step in interOnsets {
            time += step
            result.append(time)
        }
        return result
    }

    /// Total length from the first onset to the end of the last note.
    public var lengthFrames: FrameTime { zip(onsets, durations).map { $0 + $1 }.max() ?? 0 }

    // MARK: Transformations (each exact; rounding only where frames must stay whole)

    /// The same shape moved by `semitones`.
    public func transposed(by semitones: Int) -> Motif {
        var result = self
        result.firstPitch += semitones
        return result
    }

    /// The mirror image: every interval turned upside down around the first note (a rising third falls a third).
    public func inverted() -> Motif {
        var result = self
        result.intervals = intervals.map { -$0 }
        return result
    }

    /// Twice as slow: inter-onset times and durations doubled.
    public func augmented() -> Motif {
        var result = self
        result.interOnsets = interOnsets.map { $0 * 2 }
        result.durations = durations.map { $0 * 2 }
        return result
    }

    /// Twice as fast: inter-onset times and durations halved (an odd frame count rounds up; notes keep at least
    /// one frame).
    public func diminished() -> Motif {
        var result = self
        result.interOnsets = interOnsets.map { ($0 + 1) / 2 }
        result.durations = durations.map { max(1, ($0 + 1) / 2) }
        return result
    }

    /// The motif as notes from `frame`, with pitches moved by octaves into `register` (see `fitted(into:)`).
    public func notes(startingAt frame: FrameTime, register: ClosedRange<Int>) -> [Note] {
        let placed = fitted(into: register)
        return zip(placed.pitches, placed.onsets).enumerated().map { index, pair in
            Note(
                pitch: UInt8(clamping: pair.0), velocity: velocities[index], startFrame: frame + pair.1,
                durationFrames: durations[index], voice: voice)
        }
    }

    /// The motif moved into `register` (kept inside 0...127): by the whole octave nearest its current place
    /// that fits every note, so the shape survives; when no octave fits (the motif spans more than the register),
    /// centred by octaves and each note outside folded in by the fewest octaves; a note that no octave brings
    /// inside (a register narrower than an octave) goes to the nearer edge.
    public func fitted(into register: ClosedRange<Int>) -> Motif {
        let low = min(max(register.lowerBound, 0), 127)
        let high = max(min(register.upperBound, 127), low)
        let pitches = pitches
        guard let lowest = pitches.min(), let highest = pitches.max() else { return self }
        var best: Int?
        for octaves in -11...11 where lowest + 12 * octaves >= low && highest + 12 * octaves <= high {
            if best == nil || abs(octaves) < abs(best!) { best = octaves }
        }
        var result = self
        if let best {
            result.firstPitch += 12 * best
            return result
        }
        let centre = Double(low + high) / 2
        let motifCentre = Double(lowest + highest) / 2
        let shift = 12 * Int(((centre - motifCentre) / 12).rounded())
        let folded = pitches.map { pitch in
            var value = pitch + shift
            if value < low { value += 12 * ((low - value + 11) / 12) }
            if value > high { value -= 12 * ((value - high + 11) / 12) }
            if value < low {
                // The register is narrower than an octave and the note falls in its gap: take the nearer edge.
                value = low - value <= value + 12 - high ? low : high
            }
            return value
        }
        result.firstPitch = folded[0]
        result.intervals = zip(folded, folded.dropFirst()).map { $1 - $0 }
        return result
    }
}

/// How a recalled motif is varied.
public enum MotifVariation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Moved up or down by an interval.
    case transposition
    /// Intervals mirrored.
    case inversion
    /// Twice as slow.
    case augmentation
    /// Twice as fast.
    case diminution

    /// The variation's name, as used in decision records.
    public var description: String { rawValue }
}
