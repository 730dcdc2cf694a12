import AudioFeatures
import AudioFileAdapter
import FFTWAdapter
import MusicHalCore

/// The events a listener (with FFTW) hears in the recording at `path`, read through libsndfile in blocks of
/// `blockSize` frames at the file's own rate, and that rate.
func listenedEvents(toRecordingAt path: String, blockSize: Int = 256) throws -> (
    events: [MusicalEvent], sampleRate: Double
) {
    let reader = try SoundFileReader(path: path)
    let listener = try StreamingListener(sampleRate: reader.sampleRate, fftProvider: FFTWProvider())
    var outputs: [ListenerOutput] = []
    while let block = try reader.nextBlock(maxFrames: blockSize) { listener.process(block, into: &outputs) }
    listener.finish(into: &outputs)
    let events = outputs.compactMap { output -> MusicalEvent? in
        if case .event(let event) = output { return event }
        return nil
    }
    return (events, reader.sampleRate)
}
