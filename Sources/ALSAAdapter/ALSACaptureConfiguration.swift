/// Sample formats MusicHal captures.
public enum ALSASampleFormat: String, Sendable, Hashable, CaseIterable {
    /// 32-bit float, little-endian (`FLOAT_LE`).
    case float32 = "FLOAT_LE"
    /// 16-bit signed integer, little-endian (`S16_LE`), scaled by 1/32768.
    case int16 = "S16_LE"
    /// Float when the device offers it, else 16-bit.
    case automatic
}

/// Which ALSA PCM MusicHal captures from and how.
public struct ALSACaptureConfiguration: Sendable, Hashable {
    /// PCM name, e.g. `default`, `hw:1,0`, `plughw:CARD=USB,DEV=0`, or a PCM defined in `configurationText`.
    public var deviceName: String
    /// Channels captured (mixed to mono by averaging).
    public var channels: Int
    /// Requested sample rate (the device may pick the nearest it supports; see `ALSACaptureDevice.sampleRate`).
    public var sampleRate: Int
    /// Requested period in frames: the size of each blocking read and input block.
    public var periodFrames: Int
    /// Periods in the device's buffer.
    public var periodCount: Int
    /// Sample format.
    public var sampleFormat: ALSASampleFormat
    /// A private ALSA configuration to resolve `deviceName` in, instead of the system's (loaded with
    /// `snd_config_load`, opened with `snd_pcm_open_lconf`): no files or environment involved.
    public var configurationText: String?
    /// Stop after capturing this many frames (for file-backed PCMs, which return silence at their end).
    public var frameLimit: UInt64?
    /// SCHED_FIFO priority for the capture thread (needs RLIMIT_RTPRIO); nil keeps normal scheduling.
    public var realtimePriority: Int32?
    /// How far ahead of the capture position MIDI messages are handed to the sequencer queue.
    public var midiLookahead: Duration
    /// First wait before reopening a device that failed; doubled after each failed attempt.
    public var reopenInitialDelay: Duration
    /// Longest wait between reopen attempts.
    public var reopenMaximumDelay: Duration

    /// Creates a configuration: `default`, mono, 48 kHz, 256-frame periods, 3 periods, float when available.
    public init(
        deviceName: String = "default", channels: Int = 1, sampleRate: Int = 48_000, periodFrames: Int = 256,
        periodCount: Int = 3, sampleFormat: ALSASampleFormat = .automatic, configurationText: String? = nil,
        frameLimit: UInt64? = nil, realtimePriority: Int32? = nil, midiLookahead: Duration = .milliseconds(50),
        reopenInitialDelay: Duration = .milliseconds(100), reopenMaximumDelay: Duration = .seconds(1)
    ) {
        self.deviceName = deviceName
        self.channels = channels
        self.sampleRate = sampleRate
        self.periodFrames = periodFrames
        self.periodCount = periodCount
        self.sampleFormat = sampleFormat
        self.configurationText = configurationText
        self.frameLimit = frameLimit
        self.realtimePriority = realtimePriority
        self.midiLookahead = midiLookahead
        self.reopenInitialDelay = reopenInitialDelay
        self.reopenMaximumDelay = reopenMaximumDelay
    }

    /// Checks ranges; throws the first problem.
    public func validate() throws(ALSAError) {
        guard !deviceName.isEmpty else { throw .invalidConfiguration("device name is empty") }
        guard (1...64).contains(channels) else { throw .invalidConfiguration("channels \(channels) outside 1...64") }
        guard (8_000...384_000).contains(sampleRate) else {
            throw .invalidConfiguration("sample rate \(sampleRate) outside 8000...384000")
        }
        guard (16...8_192).contains(periodFrames) else {
            throw .invalidConfiguration("period \(periodFrames) frames outside 16...8192")
        }
        guard (2...32).contains(periodCount) else {
            throw .invalidConfiguration("period count \(periodCount) outside 2...32")
        }
        guard reopenInitialDelay > .zero, reopenMaximumDelay >= reopenInitialDelay, midiLookahead >= .zero else {
            throw .invalidConfiguration("delays must be positive, the maximum at least the initial one")
        }
        if let realtimePriority, !(1...99).contains(realtimePriority) {
            throw .invalidConfiguration("real-time priority \(realtimePriority) outside 1...99")
        }
    }
}
