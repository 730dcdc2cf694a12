import AudioFeatures
import MusicHalCore

extension StreamingListener {
    /// Feeds `samples` (stream frames from 0) in blocks of 256 frames, as an audio callback would, and ends the
    /// stream: how the offline tools hear a whole recording.
    func listen(wholeRecording samples: UnsafeBufferPointer<Float>, into outputs: inout [ListenerOutput]) {
        let blockFrames = 256
        var offset = 0
        while offset < samples.count {
            let end = min(samples.count, offset + blockFrames)
            process(UnsafeBufferPointer(rebasing: samples[offset..<end]), startFrame: FrameTime(offset), into: &outputs)
            offset = end
        }
        finish(into: &outputs)
    }
}
