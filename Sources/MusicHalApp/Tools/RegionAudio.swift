import AudioFeatures
import AudioFileAdapter
import FFTWAdapter
import Foundation
import MusicHalCore
import SampleRateAdapter

/// A bad request to a tool (region, band, input with nothing in it): one line naming the problem.
public struct ToolFailure: Error, CustomStringConvertible, Equatable {
    /// What went wrong.
    public let description: String

    /// A failure with its message.
    public init(_ description: String) { self.description = description }
}

/// A stretch of a recording in seconds; a nil start is the file's start, a nil end its end.
public struct AudioRegion: Sendable, Equatable {
    /// First second, or nil for 0.
    public var start: Double?
    /// Last second (exclusive), or nil for the end of the file. An end past the file is clipped to it.
    public var end: Double?

    /// Creates a region.
    public init(start: Double? = nil, end: Double? = nil) {
        self.start = start
        self.end = end
    }

    /// Checks the numbers themselves (before any file is read); `label` names the options in the message.
    public func validate(label: String) throws {
        if let start, !(start.isFinite && start >= 0) {
            throw ToolFailure("\(label): the start must be 0 or more seconds, got \(start)")
        }
        if let end, !(end.isFinite && end > 0) {
            throw ToolFailure("\(label): the end must be a positive number of seconds, got \(end)")
        }
        if let start, let end, start >= end {
            throw ToolFailure("\(label): the region is empty: start \(start) s is not before end \(end) s")
        }
    }
}

/// A region of a recording, mixed to mono, resampled and band-limited, ready to analyse.
struct PreparedAudio {
    /// The samples of the region.
    var samples: [Float]
    /// Their rate, hertz.
    var sampleRate: Double
    /// Where the region starts and ends in the file, seconds (the end clipped to the file).
    var start: Double
    var end: Double
    /// Length of the whole file at this rate, seconds.
    var fileSeconds: Double

    var seconds: Double { Double(samples.count) / sampleRate }
}

enum RegionAudio {
    /// Reads `path` at `sampleRate` (mono, libsamplerate), cuts `region` and applies `band` (designed for this
    /// rate). Errors name the file.
    static func read(
        path: String, sampleRate: Double, region: AudioRegion, band: (low: Double?, high: Double?)
    ) throws -> PreparedAudio {
        let source = try ResampledAudioSource(
            source: try SoundFileReader(path: path), targetRate: sampleRate, factory: LibsamplerateConverterFactory())
        var samples: [Float] = []
        while let block = try source.nextBlock(maxFrames: 65536) { samples.append(contentsOf: block.samples) }
        let fileSeconds = Double(samples.count) / sampleRate
        let start = region.start ?? 0
        let end = min(region.end ?? fileSeconds, fileSeconds)
        guard start < fileSeconds else {
            throw ToolFailure(
                "the region starting at \(format(start)) s lies beyond the end of \(path) (\(format(fileSeconds)) s)")
        }
        let first = Int((start * sampleRate).rounded())
        let last = min(samples.count, Int((end * sampleRate).rounded()))
        guard last > first else {
            throw ToolFailure("the region \(format(start))-\(format(end)) s of \(path) holds no samples")
        }
        var cut = first == 0 && last == samples.count ? samples : Array(samples[first..<last])
        if band.low != nil || band.high != nil {
            let filter = try BandLimitFilter(low: band.low, high: band.high, sampleRate: sampleRate)
            filter.apply(to: &cut)
        }
        return PreparedAudio(samples: cut, sampleRate: sampleRate, start: start, end: end, fileSeconds: fileSeconds)
    }

    static func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}

/// The traditional listener run over samples held in memory, as `musichal analyze` runs it.
enum ListenerPass {
    /// The events the listener hears in `samples` (frames counted from the first sample) and the wall-clock
    /// seconds it took.
    static func events(_ samples: [Float], sampleRate: Double) throws -> (events: [MusicalEvent], seconds: Double) {
        let listener = try StreamingListener(sampleRate: sampleRate, fftProvider: FFTWProvider())
        var outputs: [ListenerOutput] = []
        outputs.reserveCapacity(1024)
        let clock = ContinuousClock()
        let start = clock.now
        samples.withUnsafeBufferPointer { listener.listen(wholeRecording: $0, into: &outputs) }
        let elapsed = seconds(clock.now - start)
        let events = outputs.compactMap { output -> MusicalEvent? in
            if case .event(let event) = output { return event }
            return nil
        }
        return (events, elapsed)
    }
}

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
