import Improviser
import MusicHalCore
import Testing

private let sampleRate = 48_000.0

@Suite("Performance arc")
struct PerformanceArcTests {
    /// A ten-minute arc starting five seconds into the stream.
    private let arc = try! PerformanceArc(startFrame: 240_000, minutes: 10, sampleRate: sampleRate)

    private func frame(_ progress: Double) -> FrameTime {
        arc.startFrame + FrameTime((progress * Double(arc.durationFrames)).rounded())
    }

    @Test("progress and phase at key points")
    func progressAndPhase() {
        #expect(arc.durationFrames == 600 * 48_000)
        #expect(arc.progress(at: 0) == 0 && arc.progress(at: arc.startFrame) == 0)
        #expect(abs(arc.progress(at: frame(0.5)) - 0.5) < 1e-9)
        #expect(arc.progress(at: arc.endFrame) == 1 && arc.progress(at: arc.endFrame + 1_000_000) == 1)
        #expect(arc.phase(at: frame(0)) == .buildUp)
        #expect(arc.phase(at: frame(0.149)) == .buildUp)
        #expect(arc.phase(at: frame(0.15)) == .main)
        #expect(arc.phase(at: frame(0.79)) == .main)
        #expect(arc.phase(at: frame(0.8)) == .ending)
        #expect(arc.phase(at: frame(0.95)) == .fade)
        #expect(arc.phase(at: arc.endFrame - 1) == .fade)
        #expect(arc.phase(at: arc.endFrame) == .ended)
        #expect(ArcPhase.allCases.map(\.description) == ["build-up", "main", "ending", "fade", "ended"])
    }

    @Test(
        "the default shape's values at key points",
        arguments: [
            (0.0, 0.25, 0.7), (0.075, 0.625, 0.85), (0.15, 1, 1), (0.5, 1, 1), (0.8, 1, 1),
            (0.875, 0.725, 0.9), (0.95, 0.45, 0.8), (0.975, 0.225, 0.4),
        ])
    func shapeValues(progress: Double, activity: Double, velocity: Double) {
        #expect(abs(PerformanceArc.defaultActivity(progress: progress) - activity) < 1e-9)
        #expect(abs(PerformanceArc.defaultVelocityScale(progress: progress) - velocity) < 1e-9)
        #expect(abs(arc.activity(at: frame(progress)) - activity) < 1e-6)
        #expect(abs(arc.velocityScale(at: frame(progress)) - velocity) < 1e-6)
    }

    @Test("the build-up rises monotonically, the ending falls monotonically, to 0 at the end")
    func monotone() {
        var previous = (activity: -1.0, velocity: -1.0)
        for step in 0...1500 {
            let p = Double(step) / 10_000
            let now = (PerformanceArc.defaultActivity(progress: p), PerformanceArc.defaultVelocityScale(progress: p))
            #expect(now.0 >= previous.activity && now.1 >= previous.velocity)
            if step > 0 && step < 1500 { #expect(now.0 > previous.activity, "strictly rising at \(p)") }
            previous = (now.0, now.1)
        }
        previous = (2, 2)
        for step in 8000...10_000 {
            let p = Double(step) / 10_000
            let now = (PerformanceArc.defaultActivity(progress: p), PerformanceArc.defaultVelocityScale(progress: p))
            #expect(now.0 <= previous.activity && now.1 <= previous.velocity)
            previous = (now.0, now.1)
        }
        #expect(PerformanceArc.defaultActivity(progress: 1) == 0)
        #expect(arc.activity(at: arc.endFrame - 1) < 1e-6)
        #expect(arc.velocityScale(at: arc.endFrame - 1) < 1e-6)
    }

    /// The steepest part is the final fade of the velocity scale: smoothstep's slope peaks at 1.5, so
    /// 1.5 × 0.8 / 0.05 = 24 per unit of progress, 0.0024 per ten-thousandth (60 ms of a ten-minute piece).
    @Test("no jumps anywhere: points a ten-thousandth apart differ by less than 0.0025")
    func smooth() throws {
        let learned = try PerformanceArc(
            startFrame: 0, durationFrames: 10_000_000,
            contour: try LoudnessContour(levelsDB: [-60, -30, -12, -20, -6, -3, -40, -25, -9, -50]),
            contourWeight: 0.7)
        for shaped in [arc, learned] {
            var previous = shaped.state(at: shaped.startFrame)
            for step in 1...10_000 {
                let now = shaped.state(
                    at: shaped.startFrame + FrameTime(Double(step) / 10_000 * Double(shaped.durationFrames)))
                #expect(abs(now.activity - previous.activity) < 0.0025, "activity at \(now.progress)")
                #expect(abs(now.velocityScale - previous.velocityScale) < 0.0025, "velocity at \(now.progress)")
                #expect((0...1).contains(now.activity) && (0...1).contains(now.velocityScale))
                previous = now
            }
        }
    }

    @Test("silence after the end")
    func silenceAfter() {
        for offset: FrameTime in [0, 1, 48_000, 48_000 * 3600] {
            let state = arc.state(at: arc.endFrame + offset)
            #expect(state == ArcState(progress: 1, phase: .ended, activity: 0, velocityScale: 0))
        }
    }

    @Test("a learned contour is normalized, smoothed and resampled")
    func contourNormalization() throws {
        let raw = try LoudnessContour(levelsDB: [-60, -40, -20, 0, -.infinity], smoothing: 0)
        #expect(raw.levels == [0, 0, 0.5, 1, 0])
        #expect(raw.value(at: 0.625) == 0.75, "halfway between -20 dB and 0 dB")
        #expect(raw.value(at: 0.75) == 1 && raw.value(at: 2) == 0 && raw.value(at: -1) == 0)
        let smoothed = try LoudnessContour(levelsDB: [-40, -40, -40, 0, -40, -40, -40], smoothing: 0.3)
        #expect(smoothed.levels.max()! < 1 && smoothed.levels.max()! > 0.3, "the single peak is spread")
        #expect(abs(smoothed.levels.reduce(0, +) - 1) < 0.5)
        #expect(try LoudnessContour(levelsDB: [-12]).value(at: 0.3) == 1)
    }

    @Test("an arc with full contour weight follows the learned contour until the final fade")
    func followsContour() throws {
        // A recording that starts loud, dips in the middle and swells again.
        let levels: [Double] = [-6, -8, -14, -24, -30, -24, -14, -8, -4, -3]
        let contour = try LoudnessContour(levelsDB: levels, smoothing: 0)
        let followed = try PerformanceArc(startFrame: 0, durationFrames: 1_000_000, contour: contour, contourWeight: 1)
        for step in 0..<95 {
            let p = Double(step) / 100
            let at = FrameTime(p * 1_000_000)
            #expect(abs(followed.activity(at: at) - contour.value(at: p)) < 1e-9)
            #expect(abs(followed.velocityScale(at: at) - (0.6 + 0.4 * contour.value(at: p))) < 1e-9)
        }
        #expect(followed.activity(at: 0) > 0.8, "loud start, unlike the default build-up")
        #expect(followed.activity(at: 450_000) < 0.5, "the dip in the middle")
        #expect(followed.activity(at: 999_999) < 1e-6, "but still fades out at the end")
        #expect(followed.activity(at: 1_000_000) == 0)
        // Half weight lies halfway between the default shape and the contour.
        let blended = try PerformanceArc(startFrame: 0, durationFrames: 1_000_000, contour: contour)
        let p = 0.45
        let expected = 0.5 * PerformanceArc.defaultActivity(progress: p) + 0.5 * contour.value(at: p)
        #expect(abs(blended.activity(at: 450_000) - expected) < 1e-9)
    }

    @Test("bad arcs and contours give clear errors")
    func errors() {
        #expect(throws: MusicianshipError.badArcDuration(frames: 0)) {
            try PerformanceArc(startFrame: 0, durationFrames: 0)
        }
        #expect(throws: MusicianshipError.badArcDuration(frames: 0)) {
            try PerformanceArc(startFrame: 0, minutes: -3, sampleRate: sampleRate)
        }
        #expect(throws: MusicianshipError.self) {
            try PerformanceArc(
                startFrame: 0, durationFrames: 10, contour: try LoudnessContour(levelsDB: [-3]), contourWeight: 1.5)
        }
        for (levels, words) in [
            ([Double](), "no levels"), ([-3, .nan], "NaN"), ([-.infinity, -.infinity], "silent"),
        ] {
            #expect {
                try LoudnessContour(levelsDB: levels)
            } throws: { error in
                (error as? MusicianshipError)?.description.contains(words) == true
            }
        }
        #expect(
            MusicianshipError.badArcDuration(frames: 0).description
                == "a performance arc needs a positive duration, got 0 frames")
    }
}
