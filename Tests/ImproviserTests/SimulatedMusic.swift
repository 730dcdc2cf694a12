import AudioFeatures
import Improviser
import ModelFormat
import MusicHalCore
import OracleCore

/// Event-level simulations: musical events built from known notes (no audio), a corpus model over them, and
/// an agent driven on the sample clock. Deterministic: everything follows from the notes and seeds.
enum SimulatedMusic {
    static let sampleRate = 48_000.0

    /// A musical event for `pitch` at `onset` seconds, with the features the listener would compute for a
    /// clean monophonic note.
    static func event(pitch: Int, onset: Double, duration: Double, previousPitch: Int?, previousIOI: Double?)
        -> MusicalEvent
    {
        var chroma = [Float](repeating: 0, count: 12)
        chroma[pitch % 12] = 1
        let f0 = PitchMath.hertz(midiPitch: Double(pitch))
        let features = EventFeatureLayout.features(
            EventFeatureLayout.Inputs(
                chroma: chroma, pitches: [Double(pitch)], f0: f0,
                previousF0: previousPitch.map { PitchMath.hertz(midiPitch: Double($0)) }, confidence: 0.95,
                centroid: f0 * 3, levelDB: -15, interOnset: previousIOI ?? 0, previousInterOnset: previousIOI ?? 0))
        return MusicalEvent(
            onsetFrame: FrameTime(onset * sampleRate), offsetFrame: FrameTime((onset + duration) * sampleRate),
            midiPitch: Double(pitch), f0Hz: f0, pitchConfidence: 0.95, pitches: [pitch], velocity: 80, levelDB: -15,
            interOnsetFrames: FrameTime((previousIOI ?? 0) * sampleRate), centroidHz: f0 * 3,
            features: features)
    }

    /// Events of a melody: `pitches` with inter-onset intervals cycling through `rhythm`, from `start` seconds.
    static func melody(_ pitches: [Int], rhythm: [Double], start: Double = 0) -> [MusicalEvent] {
        var events: [MusicalEvent] = []
        var time = start
        for (index, pitch) in pitches.enumerated() {
            let ioi = rhythm[index % rhythm.count]
            events.append(
                event(
                    pitch: pitch, onset: time, duration: ioi * 0.9, previousPitch: index > 0 ? pitches[index - 1] : nil,
                    previousIOI: index > 0 ? rhythm[(index - 1) % rhythm.count] : nil))
            time += ioi
        }
        return events
    }

    /// A seeded random walk on a scale: `count` notes between `low` and `high`.
    static func scaleWalk(scale: [Int], count: Int, seed: UInt64, low: Int = 55, high: Int = 79) -> [Int] {
        var random = SeededRandomGenerator(seed: seed)
        let notes = (low...high).filter { scale.contains($0 % 12) }
        var index = notes.count / 2
        return (0..<count).map { _ in
            index = max(0, min(notes.count - 1, index + Int(random.next() % 5) - 2))
            return notes[index]
        }
    }

    /// A model over `events` (one source).
    static func model(_ events: [MusicalEvent], threshold: Double = 0.3) throws -> MusicHalModel {
        var oracle = try VariableMarkovOracle(dimension: EventFeatureLayout.dimension, threshold: threshold)
        try oracle.append(contentsOf: events.map { $0.features.values.map(Double.init) })
        let metadata = ModelMetadata(
            musicHalVersion: "test", createdAt: "now", analysisSampleRate: sampleRate, featureLayoutVersion: 1,
            thresholdWasAutomatic: false, sources: [])
        return try MusicHalModel(metadata: metadata, events: events, oracle: oracle)
    }

    /// Plays `input` to an agent in 10 ms steps until `until` seconds; returns every phrase it made.
    static func perform(
        _ agent: inout Improviser, input: [MusicalEvent], until seconds: Double
    ) -> [Phrase] {
        var phrases: [Phrase] = []
        var next = 0
        let step = FrameTime(0.01 * sampleRate)
        var now: FrameTime = 0
        while Double(now) / sampleRate < seconds {
            now += step
            while next < input.count && input[next].onsetFrame <= now {
                phrases += agent.hearOnset(at: input[next].onsetFrame)
                next += 1
            }
            // A note is complete (heard) once it ends.
            for event in input where event.offsetFrame > now - step && event.offsetFrame <= now {
                agent.hear(event, now: now)
            }
            phrases += agent.tick(now: now)
        }
        return phrases
    }

    /// Pitch-class histogram of notes.
    static func histogram(_ pitches: [Int]) -> [Double] {
        var histogram = [Double](repeating: 0, count: 12)
        for pitch in pitches { histogram[pitch % 12] += 1 }
        return histogram
    }
}
