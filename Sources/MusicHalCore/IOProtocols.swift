/// Where audio comes from: a sound card, a JACK port, or a file.
///
/// A source delivers mono blocks in order, each stamped with its start frame. Sources are reference types
/// because they own a device or file handle.
public protocol AudioSource: AnyObject {
    /// Sample rate of the blocks this source delivers.
    var sampleRate: Double { get }

    /// The next block of at most `maxFrames` frames, or nil at the end of the stream.
    func nextBlock(maxFrames: Int) throws -> AudioBlock?
}

/// Where MIDI goes: a JACK MIDI port, an ALSA sequencer port, a Standard MIDI File, or a console printer.
public protocol MIDISink: AnyObject {
    /// Delivers messages that are due, in frame order.
    func send(_ messages: [TimedMIDIMessage]) throws

    /// Ends the stream at `frame`: writes anything buffered and releases the output.
    func finish(at frame: FrameTime) throws
}
