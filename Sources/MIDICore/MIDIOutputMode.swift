public import MusicHalCore

/// How notes become MIDI: one channel per voice, or MPE with a member channel per note.
public enum MIDIOutputMode: Sendable, Hashable {
    /// Standard MIDI: each voice on its wire channel, pitch quantised to semitones, no per-note bend.
    case standard(channels: VoiceChannels)
    /// MPE: every note on its own member channel of the zone, with per-note bend, CC74 and pressure.
    case mpe(MPEZone)

    /// The zone when the mode is MPE.
    public var zone: MPEZone? {
        if case .mpe(let zone) = self { zone } else { nil }
    }

    /// Every wire channel the mode may send on: the voice channels, or the zone's manager then members.
    public var wireChannels: [UInt8] {
        switch self {
        case .standard(let channels): channels.wireChannels
        case .mpe(let zone): zone.wireChannels
        }
    }
}

/// How hard a flush stops sound.
public enum NoteFlushKind: Sendable, Hashable {
    /// Note Offs, CC64 = 0, CC123 and CC120: everything stops at once, release tails included.
    case panic
    /// The same without CC120, so release tails ring out.
    case stop
}

extension MIDIOutputMode {
    /// The messages ending `notes`: in MPE, channel pressure 0 just before each Note Off (conventions §1).
    ///
    /// Every Note Off carries release velocity 0x40; no Note On with velocity 0 is ever used as a Note Off.
    public func noteOffMessages(for note: ActiveNote) -> [MIDIMessage] {
        let noteOff = MIDIMessage.noteOff(
            channel: note.wireChannel, note: note.pitch, velocity: MIDIController.defaultReleaseVelocity)
        guard zone != nil else { return [noteOff] }
        return [.channelPressure(channel: note.wireChannel, pressure: 0), noteOff]
    }

    /// The flush of conventions §2 for this mode, in order: the Note Off of every note in `soundingNotes`
    /// (give them oldest first), then on every channel of the mode (MPE: manager, then each member)
    /// `Bn 40 00`, `Bn 7B 00` and, for a panic, `Bn 78 00`; in MPE finally `En 00 40` on every member.
    public func flushMessages(_ kind: NoteFlushKind, soundingNotes: [ActiveNote]) -> [MIDIMessage] {
        var messages: [MIDIMessage] = []
        for note in soundingNotes {
            messages += noteOffMessages(for: note)
        }
        for channel in wireChannels {
            messages.append(.controlChange(channel: channel, controller: MIDIController.sustainPedal, value: 0))
            messages.append(.controlChange(channel: channel, controller: MIDIController.allNotesOff, value: 0))
            if kind == .panic {
                messages.append(.controlChange(channel: channel, controller: MIDIController.allSoundOff, value: 0))
            }
        }
        if let zone {
            for member in zone.memberWireChannels {
                messages.append(.pitchBend(channel: member, value: PitchBend.centre))
            }
        }
        return messages
    }

    /// Everything to send when output moves from `old` to `new` (or starts, when both are the same mode).
    ///
    /// Always a panic of `old` first. When either mode is MPE, receivers reset channels on entering or leaving
    /// MPE, so then: CC121 on every channel of both modes (old order first), an MCM with 0 members switching
    /// off the old zone when it is not replaced by a zone on the same side, and the new zone's MCM and RPN 0s,
    /// each closed by RPN null.
    public static func transitionMessages(
        from old: MIDIOutputMode, to new: MIDIOutputMode, soundingNotes: [ActiveNote]
    ) -> [MIDIMessage] {
        var messages = old.flushMessages(.panic, soundingNotes: soundingNotes)
        guard old.zone != nil || new.zone != nil else { return messages }
        var affected = old.wireChannels
        for channel in new.wireChannels where !affected.contains(channel) {
            affected.append(channel)
        }
        for channel in affected {
            messages.append(.controlChange(channel: channel, controller: MIDIController.resetAllControllers, value: 0))
        }
        if let oldZone = old.zone, oldZone.side != new.zone?.side {
            messages += MPEZone.zoneOffMessage(side: oldZone.side)
            messages += RegisteredParameter.nullMessages(wireChannel: oldZone.managerWireChannel)
        }
        if let newZone = new.zone {
            messages += newZone.configurationSequence
        }
        return messages
    }
}
