import MusicHalCore
import RealtimeSupport

/// Makes the configured real-time audio device.
enum DeviceFactory {
    static func make(configuration: MusicHalConfiguration, wake: @escaping @Sendable () -> Void) throws
        -> (any RealtimeAudioDevice)?
    {
        throw DaemonFailure(
            description: "audio backend '\(configuration.audio.backend.rawValue)' is not built into this version yet; "
                + "use audio.backend: none")
    }
}
