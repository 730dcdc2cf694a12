/// Tuning of the streaming listener. Times are in seconds and converted to frames at the stream's rate.
public struct ListenerSettings: Sendable, Hashable {
    /// Analysis hop: how often onset detection runs (about 5 ms).
    public var hopSeconds = 0.005
    /// Length of the onset-detection window, rounded to the nearest power-of-two frame count (1024 frames at
    /// 44.1 and 48 kHz).
    public var onsetWindowSeconds = 0.023
    /// Smallest distance between two onsets.
    public var minimumInterOnsetSeconds = 0.05
    /// A flux peak where the level has just fallen this far below the 20 ms before it, and is not rising again,
    /// is a note's end (the click of a cut-off tone), not an onset.
    public var offsetDropDB = 9.0
    /// A flux peak whose level has risen this far out of a trough of the last `backtrackSeconds` is placed where
    /// the level left the trough: a slow attack (a bowed or blown note) peaks in flux tens of milliseconds later.
    public var backtrackRiseDB = 6.0
    /// How far back an onset may be placed before its flux peak.
    public var backtrackSeconds = 0.08
    /// A rise out of a trough this large vouches for a flux peak too small in absolute terms (a quiet tongued or
    /// bowed re-articulation): see `SpectralFluxOnsetDetector.Settings.vouchedDeltaFraction`.
    public var vouchingRiseDB = 9.0
    /// Level (dBFS) under which no event starts and at which an event ends.
    public var gateDB = -50.0
    /// An event ends when its level falls this far below its peak ...
    public var releaseDropDB = 40.0
    /// ... for this long.
    public var releaseSeconds = 0.015
    /// Longest event; a longer sound is cut into events of this length.
    public var maximumEventSeconds = 8.0
    /// Lowest fundamental the pitch tracker reports.
    public var minimumF0 = 40.0
    /// Highest fundamental the pitch tracker reports.
    public var maximumF0 = 2000.0
    /// Integration window of one pitch estimate, beside the longest period.
    public var pitchWindowSeconds = 0.035
    /// Part of the attack skipped before pitch and chroma are measured.
    public var attackSkipSeconds = 0.01
    /// Time between successive pitch estimates within an event (rounded to whole hops).
    public var pitchIntervalSeconds = 0.02
    /// Pitch estimates after the attack that read the whole pitch window (fewer once two in a row agree confidently);
    /// later ones, through the sustain of a note above about 125 Hz, read two pitch intervals (one of window, one of
    /// lags).
    public var earlyPitchEstimates = 3
    /// Pitch estimates that decide an event's pitch (about 1.3 s of it; later ones still detect note changes).
    public var maximumPitchEstimates = 64
    /// Two confident pitch estimates in a row this far from the event's pitch so far start a new event (a legato
    /// note change without an attack); 0 turns it off.
    public var legatoSemitones = 0.75
    /// Minimum confidence of an estimate that counts towards the event's pitch.
    public var minimumPitchConfidence = 0.7
    /// Length of the spectrum used for chroma and centroid.
    public var chromaWindowSeconds = 0.09
    /// Onset detector tuning.
    public var onset = SpectralFluxOnsetDetector.Settings()

    /// Default settings.
    public init() {}
}
