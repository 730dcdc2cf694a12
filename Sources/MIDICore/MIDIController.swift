/// Controller numbers (the first data byte of a Control Change) that MusicHal sends.
public enum MIDIController {
    /// CC6, Data Entry MSB: the value of the selected registered parameter.
    public static let dataEntryMSB: UInt8 = 0x06
    /// CC38, Data Entry LSB: the fine part of a registered parameter's value.
    public static let dataEntryLSB: UInt8 = 0x26
    /// CC64, Sustain (damper) pedal; 0 releases it.
    public static let sustainPedal: UInt8 = 0x40
    /// CC74, the MPE "Y" dimension (timbre); 64 is neutral.
    public static let timbre: UInt8 = 0x4A
    /// CC100, Registered Parameter Number LSB.
    public static let registeredParameterLSB: UInt8 = 0x64
    /// CC101, Registered Parameter Number MSB.
    public static let registeredParameterMSB: UInt8 = 0x65
    /// CC120, All Sound Off: silences the channel including release tails.
    public static let allSoundOff: UInt8 = 0x78
    /// CC121, Reset All Controllers.
    public static let resetAllControllers: UInt8 = 0x79
    /// CC123, All Notes Off: behaves like Note Offs, so damper-held notes keep sounding.
    public static let allNotesOff: UInt8 = 0x7B

    /// The neutral CC74 value sent before every MPE Note On.
    public static let neutralTimbre: UInt8 = 64
    /// Release velocity of every Note Off MusicHal sends (`8n kk 40`).
    public static let defaultReleaseVelocity: UInt8 = 0x40
}
