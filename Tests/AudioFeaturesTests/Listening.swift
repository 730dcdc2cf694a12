import AudioFeatures
import MusicHalCore
import TestSignals

/// Runs a listener over samples in blocks of `blockSize` and returns its events.
func listen(
    _ samples: [Float], sampleRate: Double, blockSize: Int = 256, settings: ListenerSettings = ListenerSettings()
) throws -> (events: [MusicalEvent], onsets: [FrameTime], listener: StreamingListener) {
    let listener = try StreamingListener(
        sampleRate: sampleRate, settings: settings, fftProvider: ReferenceFFTProvider())
    var outputs: [ListenerOutput] = []
    var start = 0
    while start < samples.count {
        let end = min(samples.count, start + blockSize)
        let block = AudioBlock(
            startFrame: FrameTime(start), sampleRate: sampleRate, samples: Array(samples[start..<end]))
        listener.process(block, into: &outputs)
        start = end
    }
    listener.finish(into: &outputs)
    let (events, onsets) = separate(outputs)
    return (events, onsets, listener)
}

/// A listener's outputs as its events and its onset frames, each in order.
func separate(_ outputs: [ListenerOutput]) -> (events: [MusicalEvent], onsets: [FrameTime]) {
    var events: [MusicalEvent] = []
    var onsets: [FrameTime] = []
    for output in outputs {
        switch output {
        case .event(let event): events.append(event)
        case .onset(let frame, _): onsets.append(frame)
        }
    }
    return (events, onsets)
}

/// Onset F-measure within `tolerance` seconds and pitch accuracy (within half a semitone) of matched notes.
func score(_ events: [MusicalEvent], against truth: [SyntheticNote], sampleRate: Double, tolerance: Double = 0.05)
    -> (f1: Double, pitchAccuracy: Double, meanError: Double)
{
    var used = Set<Int>()
    var matched = 0
    var correct = 0
    var errorSum = 0.0
    for note in truth {
        var best: (Int, Double)?
        for (index, event) in events.enumerated() where !used.contains(index) {
            let error = Double(event.onsetFrame) / sampleRate - note.onset
            if abs(error) <= tolerance, best == nil || abs(error) < abs(best!.1) { best = (index, error) }
        }
        guard let (index, error) = best else { continue }
        used.insert(index)
        matched += 1
        errorSum += error
        if let midi = events[index].midiPitch, abs(midi - Double(note.midi)) < 0.5 { correct += 1 }
    }
    let precision = Double(matched) / Double(max(1, events.count))
    let recall = Double(matched) / Double(max(1, truth.count))
    let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    return (f1, Double(correct) / Double(max(1, matched)), errorSum / Double(max(1, matched)))
}
