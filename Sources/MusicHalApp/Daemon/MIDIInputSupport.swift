public import AudioFeatures
import Improviser
import MusicHalCore
import RealtimeSupport

extension MusicHalConfiguration.MIDIInput {
    /// How the engine's MIDI listener hears this input.
    public var listenerSettings: MIDIListenerSettings {
        var settings = MIDIListenerSettings()
        settings.chordWindowSeconds = chordWindowMilliseconds / 1000
        if !channels.isEmpty { settings.channels = Set(channels.map { UInt8($0 - 1) }) }
        return settings
    }
}

extension SPSCRing<TimedMIDIMessage> {
    /// Moves every message due before `frame` into `messages` (emptied first), oldest first (consumer side).
    func popAll(before frame: FrameTime, into messages: inout [TimedMIDIMessage]) {
        messages.removeAll(keepingCapacity: true)
        while let message = peek(), message.frame < frame {
            _ = pop()
            messages.append(message)
        }
    }
}

extension EngineActivity {
    /// The input events heard as audio (the MIDI input's events have no audio to encode).
    var audioEvents: [MusicalEvent] {
        midiEvents.isEmpty ? events : events.filter { !midiEvents.contains($0) }
    }
}
