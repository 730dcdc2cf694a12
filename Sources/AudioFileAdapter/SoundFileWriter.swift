import CSndfile
import Glibc

/// Writes mono audio files with libsndfile (used by tests, fixture scripts and tools).
public enum SoundFileWriter {
    /// Container and codec of a written file.
    public enum Format: String, Sendable, CaseIterable {
        /// 16-bit PCM WAV.
        case wav
        /// 16-bit FLAC.
        case flac
        /// Ogg Vorbis.
        case ogg
        /// MPEG layer III.
        case mp3
        /// 16-bit PCM AIFF.
        case aiff

        fileprivate var sndfileFormat: Int32 {
            switch self {
            case .wav: return Int32(SF_FORMAT_WAV) | Int32(SF_FORMAT_PCM_16)
            case .flac: return Int32(SF_FORMAT_FLAC) | Int32(SF_FORMAT_PCM_16)
            case .ogg: return Int32(SF_FORMAT_OGG) | Int32(SF_FORMAT_VORBIS)
            case .mp3: return Int32(SF_FORMAT_MPEG) | Int32(SF_FORMAT_MPEG_LAYER_III)
            case .aiff: return Int32(SF_FORMAT_AIFF) | Int32(SF_FORMAT_PCM_16)
            }
        }
    }

    /// Writes `samples` (mono) at `sampleRate` to `path` in `format`, through a temporary file renamed into
    /// place, so a failed write leaves nothing behind.
    public static func write(_ samples: [Float], sampleRate: Int, to path: String, format: Format) throws {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = format.sndfileFormat
        guard sf_format_check(&info) != 0 else { throw AudioFileError.unsupportedFormat(format.rawValue) }
        let temporary = path + ".partial-\(getpid())"
        guard let handle = sf_open(temporary, Int32(SFM_WRITE), &info) else {
            throw AudioFileError.unwritable(path: path, reason: String(cString: sf_strerror(nil)))
        }
        let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t($0.count)) }
        let closeStatus = sf_close(handle)
        guard written == samples.count, closeStatus == 0 else {
            unlink(temporary)
            throw AudioFileError.unwritable(path: path, reason: "short write")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw AudioFileError.unwritable(path: path, reason: reason)
        }
    }
}
