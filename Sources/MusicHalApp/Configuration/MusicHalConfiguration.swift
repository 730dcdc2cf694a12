public import Improviser

/// The daemon's and tools' settings, as read from `musichal.yaml` and overridden by command-line flags.
///
/// `Config/musichal.yaml` documents every key; `ConfigurationLoader` refuses unknown keys and bad values with an
/// error that names the key and the file.
public struct MusicHalConfiguration: Sendable, Equatable {
    /// Audio input.
    public struct Audio: Sendable, Equatable {
        /// Where audio comes from.
        public enum Backend: String, Sendable, CaseIterable { case jack, alsa, none }
        /// Where audio comes from.
        public var backend: Backend = .jack
        /// JACK client name.
        public var jackClientName = "musichal"
        /// JACK server name; nil for the default server.
        public var jackServerName: String?
        /// Port-name patterns connected to MusicHal's input at start (JACK).
        public var jackConnectInputs: [String] = ["system:capture_1"]
        /// ALSA PCM capture device.
        public var alsaDevice = "default"
        /// ALSA period in frames.
        public var alsaPeriodFrames = 256
        /// Rate of the analysis clock for ALSA, files and training (JACK follows its server).
        public var sampleRate = 48_000.0
    }

    /// MIDI input: a keyboard heard directly, beside the audio input or instead of it.
    public struct MIDIInput: Sendable, Equatable {
        /// Hear the MIDI input.
        public var enabled = false
        /// Port name: `<client>:<port>` on JACK; the port of sequencer client `<client>-in` on ALSA.
        public var port = "midi_in"
        /// Sources connected at start: JACK port-name patterns, or ALSA sequencer addresses (`20:0`, `NAME:0`).
        public var connect: [String] = []
        /// Channels (1-16) listened to; empty for all.
        public var channels: [Int] = []
        /// Notes starting within this many milliseconds form one chord event.
        public var chordWindowMilliseconds = 30.0
    }

    /// MIDI output (and input).
    public struct MIDI: Sendable, Equatable {
        /// Where MIDI goes.
        public enum Backend: String, Sendable, CaseIterable { case jack, alsa, none }
        /// Standard channels or MPE.
        public enum Mode: String, Sendable, CaseIterable { case standard, mpe }
        /// Which MPE zone.
        public enum Zone: String, Sendable, CaseIterable { case lower, upper }
        /// Where MIDI goes.
        public var backend: Backend = .jack
        /// Port-name patterns MusicHal's MIDI output connects to at start (JACK).
        public var jackConnectOutputs: [String] = []
        /// One JACK MIDI port per voice instead of one shared port.
        public var portPerVoice = false
        /// ALSA sequencer client name.
        public var alsaClientName = "musichal"
        /// Standard channels or MPE.
        public var mode: Mode = .standard
        /// Channel (1-16) of the melody voice in standard mode.
        public var melodyChannel = 1
        /// Channel (1-16) of the bass voice in standard mode.
        public var bassChannel = 2
        /// MPE zone.
        public var mpeZone: Zone = .lower
        /// MPE member channels (1-15).
        public var mpeMembers = 15
        /// MPE member pitch-bend range in semitones (0-96).
        public var mpeBendRange = 48
        /// Longest note MusicHal ever holds, in seconds.
        public var maximumNoteSeconds = 8.0
        /// MIDI input through the same backend.
        public var input = MIDIInput()
    }

    /// OSC control.
    public struct OSC: Sendable, Equatable {
        /// Transport protocol.
        public enum Transport: String, Sendable, CaseIterable { case udp, tcp }
        /// Port to listen on.
        public var port = 7770
        /// Transport protocol.
        public var transport: Transport = .udp
        /// Senders obeyed besides loopback: addresses or CIDR ranges.
        public var allow: [String] = []
    }

    /// Where files live. Nil means the default for the user (see `ResolvedPaths`).
    public struct Paths: Sendable, Equatable {
        /// Models directory.
        public var models: String?
        /// State directory (performance recordings, learned models).
        public var state: String?

        /// Paths left to their defaults, or set explicitly.
        public init(models: String? = nil, state: String? = nil) {
            self.models = models
            self.state = state
        }
    }

    /// Recording of every performance as a Standard MIDI File in the performances directory.
    public struct Recording: Sendable, Equatable {
        /// Record performances.
        public var enabled = true
        /// Also record the detected input on a second track.
        public var input = true
    }

    /// The agent.
    public struct Agent: Sendable, Equatable {
        /// Mode at start.
        public var mode: ImproviserMode = .imitate
        /// Seed of every random choice; nil draws one at start (and logs it, so the run can be replayed).
        public var seed: UInt64?
        /// Learn from the input at start.
        public var learning = false
        /// Model loaded at start, by name from the models directory.
        public var model: String?
        /// Setlist file loaded at start (its first piece replaces `model`); relative to the configuration file.
        public var setlist: String?
        /// Memory for models kept loaded for instant switching (`/hal/model/preload`), in MB.
        public var modelCacheMegabytes = 512
        /// Musical parameters.
        public var parameters = AgentParameters()
        /// Per playing mode, what its pitches snap to (off, the current chord, or the key's scale).
        public var snap: [ImproviserMode: SnapTarget] = Improviser.defaultSnapTargets
        /// Length of the performance arc started with the daemon, in minutes; 0 for none.
        public var performanceMinutes = 0.0
        /// The arc follows the loaded model's loudness contour from training, when it has one.
        public var learnedArc = false
    }

    /// Live neural tokens (models trained with `musichal train --neural`).
    public struct Neural: Sendable, Equatable {
        /// wav2vec 2.0 checkpoint directory the daemon encodes with; nil for none.
        public var checkpoint: String?
        /// Milliseconds from an event's end to its token; a later token counts as a miss.
        public var deadlineMilliseconds = 300
        /// Misses in a row that switch the agent to the traditional features.
        public var failureLimit = 3
        /// Seconds before the encoder is tried again after that.
        public var retrySeconds = 10.0
        /// OpenBLAS threads of the encoder.
        public var threads = 1
    }

    /// Audio input.
    public var audio = Audio()
    /// Live neural tokens.
    public var neural = Neural()
    /// MIDI output.
    public var midi = MIDI()
    /// OSC control.
    public var osc = OSC()
    /// Files.
    public var paths = Paths()
    /// Performance recording.
    public var recording = Recording()
    /// The agent.
    public var agent = Agent()

    /// The built-in defaults.
    public init() {}
}
