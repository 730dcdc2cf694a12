import CALSA

/// An open, configured ALSA capture PCM (interleaved, S16_LE or FLOAT_LE), started and ready for `snd_pcm_readi`.
/// Used by one thread at a time.
final class PCMCapture {
    let pcm: OpaquePointer
    let format: ALSASampleFormat
    let channels: Int
    let sampleRate: Double
    let periodFrames: Int
    let bytesPerSample: Int
    /// The private configuration the PCM was opened from; kept until the PCM is closed.
    private let configuration: OpaquePointer?

    init(_ settings: ALSACaptureConfiguration) throws(ALSAError) {
        _ = alsaErrorPrinterSilenced
        let device = settings.deviceName
        var opened: OpaquePointer?
        var privateConfiguration: OpaquePointer?
        if let text = settings.configurationText {
            privateConfiguration = try Self.load(text)
            let result = snd_pcm_open_lconf(&opened, device, SND_PCM_STREAM_CAPTURE, 0, privateConfiguration)
            if result < 0 {
                snd_config_delete(privateConfiguration)
                throw .cannotOpenPCM(device: device, reason: String(cString: snd_strerror(result)))
            }
        } else {
            let result = snd_pcm_open(&opened, device, SND_PCM_STREAM_CAPTURE, 0)
            if result < 0 { throw .cannotOpenPCM(device: device, reason: String(cString: snd_strerror(result))) }
        }
        guard let pcm = opened else { throw .cannotOpenPCM(device: device, reason: "no handle") }

        var hardware: OpaquePointer?
        snd_pcm_hw_params_malloc(&hardware)
        defer { snd_pcm_hw_params_free(hardware) }
        var negotiated = ALSASampleFormat.float32
        var rate = UInt32(settings.sampleRate)
        var period = snd_pcm_uframes_t(settings.periodFrames)
        var direction: Int32 = 0
        func step(_ result: Int32, _ what: String) throws(ALSAError) {
            if result < 0 {
                throw .unsupportedParameters(
                    device: device, reason: "\(what): \(String(cString: snd_strerror(result)))")
            }
        }
        do throws(ALSAError) {
            try step(snd_pcm_hw_params_any(pcm, hardware), "no configuration available")
            try step(snd_pcm_hw_params_set_access(pcm, hardware, SND_PCM_ACCESS_RW_INTERLEAVED), "interleaved access")
            let candidates: [ALSASampleFormat] =
                settings.sampleFormat == .automatic ? [.float32, .int16] : [settings.sampleFormat]
            guard
                let format = candidates.first(where: { snd_pcm_hw_params_test_format(pcm, hardware, $0.pcmFormat) == 0 }
                )
            else {
                throw .unsupportedParameters(
                    device: device, reason: "sample format \(candidates.map(\.rawValue).joined(separator: " or "))")
            }
            negotiated = format
            try step(snd_pcm_hw_params_set_format(pcm, hardware, format.pcmFormat), "sample format \(format.rawValue)")
            try step(
                snd_pcm_hw_params_set_channels(pcm, hardware, UInt32(settings.channels)),
                "\(settings.channels) channels")
            try step(snd_pcm_hw_params_set_rate_near(pcm, hardware, &rate, &direction), "rate \(settings.sampleRate)")
            try step(snd_pcm_hw_params_set_period_size_near(pcm, hardware, &period, &direction), "period size")
            var buffer = period * snd_pcm_uframes_t(settings.periodCount)
            try step(snd_pcm_hw_params_set_buffer_size_near(pcm, hardware, &buffer), "buffer size")
            try step(snd_pcm_hw_params(pcm, hardware), "hardware parameters")
            try step(snd_pcm_hw_params_get_period_size(hardware, &period, &direction), "period size")
            try step(snd_pcm_prepare(pcm), "prepare")
            try step(snd_pcm_start(pcm), "start")
        } catch {
            snd_pcm_close(pcm)
            if let privateConfiguration { snd_config_delete(privateConfiguration) }
            throw error
        }
        self.pcm = pcm
        configuration = privateConfiguration
        format = negotiated
        channels = settings.channels
        sampleRate = Double(rate)
        periodFrames = Int(period)
        bytesPerSample = negotiated == .int16 ? 2 : 4
    }

    deinit {
        snd_pcm_close(pcm)
        if let configuration { snd_config_delete(configuration) }
    }

    /// Parses configuration text into a private top-level configuration (no files, no environment).
    private static func load(_ text: String) throws(ALSAError) -> OpaquePointer {
        var top: OpaquePointer?
        var result = snd_config_top(&top)
        guard result >= 0, let top else {
            throw .invalidConfigurationText(reason: String(cString: snd_strerror(result)))
        }
        var input: OpaquePointer?
        result = text.withCString { snd_input_buffer_open(&input, $0, -1) }
        guard result >= 0, let input else {
            snd_config_delete(top)
            throw .invalidConfigurationText(reason: String(cString: snd_strerror(result)))
        }
        result = snd_config_load(top, input)
        snd_input_close(input)
        guard result >= 0 else {
            snd_config_delete(top)
            throw .invalidConfigurationText(reason: String(cString: snd_strerror(result)))
        }
        return top
    }
}

extension ALSASampleFormat {
    var pcmFormat: snd_pcm_format_t { self == .int16 ? SND_PCM_FORMAT_S16_LE : SND_PCM_FORMAT_FLOAT_LE }
}
