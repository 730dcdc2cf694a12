import AudioFeatures
import Testing

@Suite("Spectral-flux onset detector")
struct OnsetDetectorTests {
    /// Magnitude frames with a sharp broadband rise every `period` frames over a noisy floor.
    private func frames(count: Int, bins: Int, period: Int, seed: UInt64) -> [[Float]] {
        var state = seed
        func noise() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        return (0..<count).map { frame in
            let attack: Float = frame % period == period / 2 ? 0.5 : 0
            return (0..<bins).map { _ in 0.001 * noise() + attack * (0.5 + noise()) }
        }
    }

    private func run(_ detector: inout SpectralFluxOnsetDetector, _ frames: [[Float]]) -> [Int] {
        var onsets: [Int] = []
        for (index, magnitudes) in frames.enumerated()
        where detector.process(magnitudes: magnitudes, minimumGapFrames: 4) {
            onsets.append(index - 1)  // the previous frame was the onset
        }
        return onsets
    }

    @Test("periodic attacks are found once each, at the attack frame")
    func periodicAttacks() {
        let bins = 513
        var detector = SpectralFluxOnsetDetector(binCount: bins, fftSize: 1024, sampleRate: 48_000)
        let onsets = run(&detector, frames(count: 400, bins: bins, period: 40, seed: 3))
        // The noise floor's own entrance (first comparable frame, after silence) counts as an onset too.
        #expect(onsets == [2] + Array(stride(from: 20, to: 400, by: 40)))
    }

    @Test("reset forgets everything: the same frames give the same onsets as a new detector")
    func resetMatchesNewDetector() {
        let bins = 513
        let first = frames(count: 300, bins: bins, period: 37, seed: 1)
        let second = frames(count: 300, bins: bins, period: 23, seed: 2)
        var reused = SpectralFluxOnsetDetector(binCount: bins, fftSize: 1024, sampleRate: 48_000)
        _ = run(&reused, first)
        reused.reset()
        var fresh = SpectralFluxOnsetDetector(binCount: bins, fftSize: 1024, sampleRate: 48_000)
        let expected = run(&fresh, second)
        #expect(!expected.isEmpty)
        #expect(run(&reused, second) == expected)
        #expect(reused.lastODF == fresh.lastODF)
    }

    @Test("the highest bin read stops at 16 kHz plus the maximum filter's reach")
    func highestBin() {
        let detector = SpectralFluxOnsetDetector(binCount: 513, fftSize: 1024, sampleRate: 48_000)
        #expect(detector.highestBinRead == Int(16_000 / (48_000 / 1024.0)) + 1)
    }
}
