import MusicHalCore
import RealtimeSupport
import Testing

@Suite("Sample history")
struct SampleHistoryTests {
    @Test("keeps the newest samples by frame across wrap-around, and refuses what it no longer has")
    func wrap() {
        var history = SampleHistory(capacity: 10)
        for start in stride(from: 0, to: 37, by: 4) {
            let block = AudioBlock(
                startFrame: FrameTime(start), sampleRate: 48_000, samples: (start..<(start + 4)).map(Float.init))
            history.append(block)
        }
        #expect(history.endFrame == 40)
        #expect(history.startFrame == 30)
        #expect(history.samples(from: 30, length: 10) == (30..<40).map(Float.init))
        #expect(history.samples(from: 33, length: 3) == [33, 34, 35])
        #expect(history.samples(from: 29, length: 2) == nil)
        #expect(history.samples(from: 38, length: 3) == nil)
    }

    @Test("a block longer than the capacity keeps its tail; a jump in the clock restarts the history")
    func longBlockAndGap() {
        var history = SampleHistory(capacity: 4)
        history.append(AudioBlock(startFrame: 100, sampleRate: 48_000, samples: (0..<6).map(Float.init)))
        #expect(history.samples(from: 102, length: 4) == [2, 3, 4, 5])
        history.append(AudioBlock(startFrame: 500, sampleRate: 48_000, samples: [9, 9]))
        #expect(history.startFrame == 500)
        #expect(history.samples(from: 104, length: 1) == nil)
        #expect(history.samples(from: 500, length: 2) == [9, 9])
    }
}
