import Foundation
import MusicHalCore
import NeuralFeatures

/// A wav2vec 2.0 encoder for whole recordings, run in segments of at most `maximumSegmentSeconds` so that
/// self-attention (quadratic in frames) and its scratch memory stay bounded on long files.
///
/// Per-event vectors use `Wav2Vec2Encoder.embedEvents`, the one per-event code path (frames via
/// `EncoderFrameGrid`, mean pooling of `last_hidden_state`), on segments cut at event onsets so that no event
/// straddles a cut: a segment starts at the onset of its first event and ends at the last offset of its events.
final class SegmentedEncoder {
    /// Longest stretch encoded in one pass.
    static let maximumSegmentSeconds = 30.0

    let model: Wav2Vec2Model
    private let encoder: Wav2Vec2Encoder
    /// The directory the model came from (for messages).
    let directory: String

    /// Loads the checkpoint in `directory`; any failure becomes one line saying the directory is not a usable
    /// checkpoint and why.
    init(directory: String, threads: Int = 1) throws {
        do {
            model = try Wav2Vec2CheckpointLoader.load(directory: directory)
        } catch {
            throw ToolFailure("\(directory) is not a usable wav2vec2 checkpoint: \(error)")
        }
        self.directory = directory
        encoder = Wav2Vec2Encoder(model: model, multiplier: NeuralBackend.matrixMultiplier(threads: threads))
    }

    /// The model's input rate, hertz.
    var sampleRate: Int { model.preprocessing.sampleRate }
    /// Width of the embeddings.
    var dimension: Int { model.configuration.hiddenSize }

    /// One pooled `last_hidden_state` vector per window (seconds from the first sample of `audio`).
    func eventEmbeddings(_ audio: [Float], windows: [EventWindow]) throws -> [[Float]] {
        let plan = Self.plan(
            windows: windows, sampleCount: audio.count, sampleRate: sampleRate,
            maximumSeconds: Self.maximumSegmentSeconds, minimumSamples: model.configuration.receptiveField)
        var result = [[Float]](repeating: [], count: windows.count)
        for segment in plan {
            let offset = Double(segment.samples.lowerBound) / Double(sampleRate)
            let local = segment.windows.map {
                EventWindow(onset: windows[$0].onset - offset, offset: windows[$0].offset - offset)
            }
            let vectors = try encoder.embedEvents(Array(audio[segment.samples]), windows: local)
            for (index, vector) in zip(segment.windows, vectors) { result[index] = vector }
        }
        return result
    }

    /// The mean of `last_hidden_state` over every frame of `audio`, encoded in equal segments of at most
    /// `maximumSegmentSeconds` (one pass when shorter).
    func pooledEmbedding(_ audio: [Float]) throws -> [Float] {
        let longest = Int(Self.maximumSegmentSeconds * Double(sampleRate))
        let pieces = max(1, (audio.count + longest - 1) / longest)
        let width = dimension
        var sums = [Double](repeating: 0, count: width)
        var frames = 0
        for piece in 0..<pieces {
            let range = (piece * audio.count / pieces)..<((piece + 1) * audio.count / pieces)
            let output = try encoder.encode(Array(audio[range]))
            for t in 0..<output.frameCount {
                for c in 0..<width { sums[c] += Double(output.lastHiddenState[t * width + c]) }
            }
            frames += output.frameCount
        }
        return sums.map { Float($0 / Double(max(frames, 1))) }
    }

    /// One segment of a plan: the samples to encode and the windows (indices into the caller's list) it serves.
    struct Segment: Equatable {
        var samples: Range<Int>
        var windows: [Int]
    }

    /// Groups `windows` (in any order) into segments of at most `maximumSeconds` (a single longer window gets its
    /// own segment), each spanning from its first onset to its last offset, lengthened to `minimumSamples` when
    /// shorter (backwards when the audio ends first), all within `0..<sampleCount`.
    static func plan(
        windows: [EventWindow], sampleCount: Int, sampleRate: Int, maximumSeconds: Double, minimumSamples: Int
    ) -> [Segment] {
        let rate = Double(sampleRate)
        let order = windows.indices.sorted { windows[$0].onset < windows[$1].onset }
        var segments: [Segment] = []
        var members: [Int] = []
        var start = 0.0
        var end = 0.0
        func close() {
            guard !members.isEmpty else { return }
            var first = max(0, min(sampleCount, Int((start * rate).rounded(.down))))
            var last = max(first, min(sampleCount, Int((end * rate).rounded(.up))))
            if last - first < minimumSamples {
                last = min(sampleCount, first + minimumSamples)
                first = max(0, last - minimumSamples)
            }
            segments.append(Segment(samples: first..<last, windows: members))
            members = []
        }
        for index in order {
            let window = windows[index]
            if !members.isEmpty, max(end, window.offset) - start > maximumSeconds { close() }
            if members.isEmpty {
                start = max(0, window.onset)
                end = window.offset
            }
            end = max(end, window.offset)
            members.append(index)
        }
        close()
        return segments
    }
}

extension MusicalEvent {
    /// The event's span in seconds at `sampleRate` (at least one sample long).
    func window(sampleRate: Double) -> EventWindow {
        let onset = Double(onsetFrame) / sampleRate
        return EventWindow(onset: onset, offset: max(Double(offsetFrame) / sampleRate, onset + 1 / sampleRate))
    }
}
