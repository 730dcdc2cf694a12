/// Everything that can go wrong with ALSA capture or sequencer output. `description` is what logs and OSC
/// `/fail` replies show: one line naming the device or sequencer and the reason alsa-lib gave.
public enum ALSAError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The PCM could not be opened (no such device or card, a missing input file, busy, no permission).
    case cannotOpenPCM(device: String, reason: String)
    /// The device refused the requested hardware or software parameters.
    case unsupportedParameters(device: String, reason: String)
    /// A private ALSA configuration text could not be parsed.
    case invalidConfigurationText(reason: String)
    /// The sequencer could not be opened; `code` is the negative errno alsa-lib returned (-2: no /dev/snd/seq).
    case sequencerUnavailable(name: String, code: Int32, reason: String)
    /// Creating the sequencer client's port or queue failed.
    case sequencerSetupFailed(step: String, reason: String)
    /// The sequencer output was used before `open()` or after `close()`.
    case sequencerNotOpen
    /// A configuration value is out of range.
    case invalidConfiguration(String)

    /// A human-readable explanation naming what failed.
    public var description: String {
        switch self {
        case .cannotOpenPCM(let device, let reason):
            "cannot open ALSA capture device '\(device)': \(reason)"
        case .unsupportedParameters(let device, let reason):
            "ALSA capture device '\(device)' refused its parameters: \(reason)"
        case .invalidConfigurationText(let reason):
            "invalid ALSA configuration text: \(reason)"
        case .sequencerUnavailable(let name, let code, let reason):
            "cannot open ALSA sequencer '\(name)': \(reason)"
                + (code == -2 ? " (no /dev/snd/seq: is the snd-seq kernel module loaded?)" : "")
        case .sequencerSetupFailed(let step, let reason):
            "cannot set up the ALSA sequencer client (\(step)): \(reason)"
        case .sequencerNotOpen:
            "the ALSA sequencer output is not open"
        case .invalidConfiguration(let message):
            "invalid ALSA configuration: \(message)"
        }
    }
}
