import CSndfile
import Glibc
public import MusicHalCore

/// An audio source that decodes a file with libsndfile (WAV, FLAC, OGG/Vorbis, Opus, MP3, AIFF and more) and
/// delivers mono blocks (channels averaged), reading in chunks so long files stay in bounded memory.
public final class SoundFileReader: AudioSource {
    /// Path of the file.
    public let path: String
    /// Native sample rate of the file.
    public let sampleRate: Double
    /// Channels in the file (mixed down to mono).
    public let channelCount: Int
    /// Total frames in the file as reported by its header.
    public let frameCount: Int64
    /// libsndfile's description of the container/codec, e.g. "FLAC (Free Lossless Audio Codec)".
    public let formatName: String

    private var handle: OpaquePointer?
    private var interleaved: [Float] = []
    private var framesRead: FrameTime = 0

    /// Opens `path` for reading.
    public init(path: String) throws {
        self.path = path
        var statBuffer = stat()
        guard stat(path, &statBuffer) == 0 else { throw AudioFileError.notFound(path: path) }
        guard statBuffer.st_mode & S_IFMT != S_IFDIR else {
            throw AudioFileError.unreadable(path: path, reason: "it is a directory")
        }
        var info = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioFileError.unreadable(path: path, reason: String(cString: sf_strerror(nil)))
        }
        guard info.frames > 0, info.channels > 0, info.samplerate > 0 else {
            sf_close(handle)
            throw AudioFileError.empty(path: path)
        }
        self.handle = handle
        sampleRate = Double(info.samplerate)
        channelCount = Int(info.channels)
        frameCount = info.frames
        var formatInfo = SF_FORMAT_INFO()
        formatInfo.format = info.format & Int32(SF_FORMAT_TYPEMASK)
        if sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &formatInfo, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
            let name = formatInfo.name
        {
            formatName = String(cString: name)
        } else {
            formatName = "unknown"
        }
    }

    deinit { if let handle { sf_close(handle) } }

    /// Duration in seconds according to the header.
    public var durationSeconds: Double { Double(frameCount) / sampleRate }

    /// See `AudioSource.nextBlock(maxFrames:)`. Decoding errors in the middle of a file are reported with the
    /// file's name.
    public func nextBlock(maxFrames: Int) throws -> AudioBlock? {
        guard let handle, maxFrames > 0 else { return nil }
        let needed = maxFrames * channelCount
        if interleaved.count < needed { interleaved = [Float](repeating: 0, count: needed) }
        let got = Int(
            interleaved.withUnsafeMutableBufferPointer { sf_readf_float(handle, $0.baseAddress, sf_count_t(maxFrames)) }
        )
        if got <= 0 {
            let code = sf_error(handle)
            if code != 0 {
                throw AudioFileError.unreadable(path: path, reason: String(cString: sf_strerror(handle)))
            }
            return nil
        }
        var mono = [Float](repeating: 0, count: got)
        if channelCount == 1 {
            for i in 0..<got { mono[i] = interleaved[i] }
        } else {
            let scale = 1 / Float(channelCount)
            for frame in 0..<got {
                var sum: Float = 0
                for channel in 0..<channelCount { sum += interleaved[frame * channelCount + channel] }
                mono[frame] = sum * scale
            }
        }
        let block = AudioBlock(startFrame: framesRead, sampleRate: sampleRate, samples: mono)
        framesRead += FrameTime(got)
        return block
    }

    /// Reads the whole remaining file (for short files and tests).
    public func readAll() throws -> [Float] {
        var samples: [Float] = []
        while let block = try nextBlock(maxFrames: 65536) { samples.append(contentsOf: block.samples) }
        return samples
    }
}
