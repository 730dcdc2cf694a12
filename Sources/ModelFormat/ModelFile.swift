import MusicHalCore
import NeuralFeatures
import OracleCore

/// The on-disk model format: one file, little-endian, versioned, closed by a checksum.
///
/// ```
/// header   "MUSICHAL" (8 bytes) · format version u32 · flags u32 (0) · section count u32
/// section  tag (4 ASCII bytes) · payload length u64 · payload      — repeated; unknown tags are skipped
/// trailer  CRC-32 (IEEE) u32 of every byte before it
/// ```
/// Sections of version 1 (strings are u32 length + UTF-8; i32/f32/f64 little-endian):
/// - `META`: MusicHal version, creation time, analysis sample rate f64, feature layout version u32,
///   automatic-threshold flag u8, source count u32 × (name, content hash, duration f64, event count u32),
///   parameter count u32 × (key, value), sorted by key.
/// - `EVNT`: event count u32, feature dimension u32, then per event: onset u64, offset u64, MIDI pitch f64
///   (NaN = unpitched), f0 f64 (NaN), pitch confidence f64, velocity u8, pitch count u8, four pitches u8
///   (255 = unused), level dBFS f64, inter-onset frames u64, centroid Hz f64, features f32 × dimension.
/// - `ORCL`: dimension u32, threshold f64, state count u32, then i32 arrays of state-count length: suffix
///   links (−1 at the root), LRS, labels (−1 at the root); transitions in compressed rows: offsets u32 ×
///   (states + 1), then targets i32. Oracle frames are the events' features, so they are not stored twice.
/// - `VOCB` (only in models trained with `--neural`; older readers skip it): encoder name, encoder digest,
///   hidden size u32, layer i32 (−1 = last hidden state), window maximum f64 and minimum chunk f64 (seconds),
///   quantizer D u32, p u32, k u32, mean f32 × D, components f32 × p·D, centroids f32 × k·p, then token count
///   u32 (= events) × token i32 (−1 = none).
public enum ModelFile {
    /// First bytes of every model file.
    public static let magic: [UInt8] = Array("MUSICHAL".utf8)
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1
    /// File name extension of models in a models directory.
    public static let fileExtension = "halmodel"

    // MARK: Encoding

    /// Serialises a model.
    public static func encode(_ model: MusicHalModel) -> [UInt8] {
        var sections: [(String, [UInt8])] = []
        sections.append(("META", encodeMetadata(model.metadata)))
        sections.append(("EVNT", encodeEvents(model.events, dimension: model.oracle.dimension)))
        sections.append(("ORCL", encodeOracle(model.oracle)))
        if let vocabulary = model.vocabulary { sections.append(("VOCB", encodeVocabulary(vocabulary))) }

        var out = BinaryWriter()
        out.write(magic)
        out.write(formatVersion)
        out.write(UInt32(0))
        out.write(UInt32(sections.count))
        for (tag, payload) in sections {
            out.write(Array(tag.utf8))
            out.write(UInt64(payload.count))
            out.write(payload)
        }
        out.write(CRC32.checksum(out.bytes))
        return out.bytes
    }

    private static func encodeMetadata(_ metadata: ModelMetadata) -> [UInt8] {
        var w = BinaryWriter()
        w.write(metadata.musicHalVersion)
        w.write(metadata.createdAt)
        w.write(metadata.analysisSampleRate)
        w.write(UInt32(metadata.featureLayoutVersion))
        w.write(UInt8(metadata.thresholdWasAutomatic ? 1 : 0))
        w.write(UInt32(metadata.sources.count))
        for source in metadata.sources {
            w.write(source.name)
            w.write(source.contentHash)
            w.write(source.durationSeconds)
            w.write(UInt32(source.eventCount))
        }
        let keys = metadata.parameters.keys.sorted()
        w.write(UInt32(keys.count))
        for key in keys {
            w.write(key)
            w.write(metadata.parameters[key] ?? "")
        }
        return w.bytes
    }

    private static func encodeEvents(_ events: [MusicalEvent], dimension: Int) -> [UInt8] {
        var w = BinaryWriter()
        w.write(UInt32(events.count))
        w.write(UInt32(dimension))
        for event in events {
            w.write(UInt64(event.onsetFrame))
            w.write(UInt64(event.offsetFrame))
            w.write(event.midiPitch ?? .nan)
            w.write(event.f0Hz ?? .nan)
            w.write(event.pitchConfidence)
            w.write(event.velocity)
            let pitches = event.pitches.prefix(4)
            w.write(UInt8(pitches.count))
            for slot in 0..<4 {
                w.write(slot < pitches.count ? UInt8(clamping: pitches[pitches.startIndex + slot]) : UInt8(255))
            }
            w.write(event.levelDB)
            w.write(UInt64(event.interOnsetFrames))
            w.write(event.centroidHz)
            for value in event.features.values { w.write(value) }
        }
        return w.bytes
    }

    private static func encodeOracle(_ oracle: VariableMarkovOracle) -> [UInt8] {
        var w = BinaryWriter()
        w.write(UInt32(oracle.dimension))
        w.write(oracle.threshold)
        w.write(UInt32(oracle.stateCount))
        for value in oracle.suffixLinks { w.write(Int32(value)) }
        for value in oracle.lrs { w.write(Int32(value)) }
        for value in oracle.labels { w.write(Int32(value)) }
        var offset: UInt32 = 0
        let transitions = oracle.transitions
        for row in transitions {
            w.write(offset)
            offset += UInt32(row.count)
        }
        w.write(offset)
        for row in transitions {
            for target in row { w.write(Int32(target)) }
        }
        return w.bytes
    }

    private static func encodeVocabulary(_ vocabulary: NeuralVocabulary) -> [UInt8] {
        var w = BinaryWriter()
        w.write(vocabulary.encoder.name)
        w.write(vocabulary.encoder.digest)
        w.write(UInt32(vocabulary.encoder.hiddenSize))
        w.write(Int32(vocabulary.encoder.layer ?? -1))
        w.write(vocabulary.window.maximumSeconds)
        w.write(vocabulary.window.minimumChunkSeconds)
        let q = vocabulary.quantizer
        w.write(UInt32(q.inputDimension))
        w.write(UInt32(q.componentCount))
        w.write(UInt32(q.clusterCount))
        for value in q.mean { w.write(value) }
        for value in q.components { w.write(value) }
        for value in q.centroids { w.write(value) }
        w.write(UInt32(vocabulary.tokens.count))
        for token in vocabulary.tokens { w.write(Int32(token)) }
        return w.bytes
    }

    // MARK: Decoding

    /// Reads a model, checking magic, version, checksum and every length; never traps on bad input.
    public static func decode(_ bytes: [UInt8]) throws(ModelFormatError) -> MusicHalModel {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(ModelFormatError) in try decode(raw) } }
        return try result.get()
    }

    /// Reads a model from raw bytes (for example a memory-mapped file).
    ///
    /// With `verifyChecksum` false the checksum is not compared: for a caller that checks `hasValidChecksum(_:)`
    /// at the same time on another core and discards the result when it fails (decoding never traps on bad bytes).
    public static func decode(_ raw: UnsafeRawBufferPointer, verifyChecksum: Bool = true) throws(ModelFormatError)
        -> MusicHalModel
    {
        var header = BinaryReader(raw, section: "header")
        guard raw.count >= magic.count, Array(raw[0..<magic.count]) == magic else { throw .notAModel }
        _ = try header.read(UInt64.self, "magic")
        let version = try header.read(UInt32.self, "format version")
        guard version == formatVersion else { throw .unsupportedVersion(found: version, supported: formatVersion) }
        guard raw.count >= 24 else { throw .truncated(section: "header", needed: "section count") }
        let body = raw.count - 4
        guard !verifyChecksum || hasValidChecksum(raw) else { throw .checksumMismatch }
        _ = try header.read(UInt32.self, "flags")
        let sectionCount = Int(try header.read(UInt32.self, "section count"))

        var sections: [String: (Int, Int)] = [:]
        var reader = BinaryReader(raw, from: header.offset, to: body, section: "section table")
        for _ in 0..<sectionCount {
            let tagValue = try reader.read(UInt32.self, "section tag")
            let tag = String(decoding: withUnsafeBytes(of: tagValue.littleEndian) { Array($0) }, as: UTF8.self)
            let length = try reader.read(UInt64.self, "section length")
            guard length <= UInt64(reader.remaining) else {
                throw .badLength(section: tag, field: "section length", value: Int(clamping: length))
            }
            let start = reader.offset
            sections[tag] = (start, start + Int(length))
            _ = try reader.readBytes(Int(length))
        }
        guard reader.remaining == 0 else {
            throw .malformed(section: "file", reason: "\(reader.remaining) bytes after the last section")
        }
        func section(_ tag: String, _ name: String) throws(ModelFormatError) -> BinaryReader {
            guard let (start, end) = sections[tag] else { throw .missingSection(name) }
            return BinaryReader(raw, from: start, to: end, section: name)
        }
        var metaReader = try section("META", "metadata")
        let metadata = try decodeMetadata(&metaReader)
        var eventReader = try section("EVNT", "events")
        let (events, frames, dimension) = try decodeEvents(&eventReader)
        var oracleReader = try section("ORCL", "oracle")
        let oracle = try decodeOracle(&oracleReader, frames: frames, dimension: dimension)
        var vocabulary: NeuralVocabulary?
        if sections["VOCB"] != nil {
            var vocabularyReader = try section("VOCB", "vocabulary")
            vocabulary = try decodeVocabulary(&vocabularyReader, eventCount: events.count)
        }
        return try MusicHalModel(metadata: metadata, events: events, oracle: oracle, vocabulary: vocabulary)
    }

    /// Whether the trailing CRC-32 matches every byte before it.
    public static func hasValidChecksum(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard raw.count >= 4 else { return false }
        let body = raw.count - 4
        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: body, as: UInt32.self))
        return CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<body])) == stored
    }

    private static func decodeVocabulary(_ r: inout BinaryReader, eventCount: Int) throws(ModelFormatError)
        -> NeuralVocabulary
    {
        let name = try r.readString("encoder name")
        let digest = try r.readString("encoder digest")
        let hiddenSize = Int(try r.read(UInt32.self, "hidden size"))
        let layer = Int(try r.read(Int32.self, "layer"))
        let window = NeuralEventWindow(
            maximumSeconds: try r.readDouble("window maximum"), minimumChunkSeconds: try r.readDouble("minimum chunk"))
        let d = Int(try r.read(UInt32.self, "quantizer input dimension"))
        let p = Int(try r.read(UInt32.self, "quantizer components"))
        let k = Int(try r.read(UInt32.self, "quantizer tokens"))
        guard (1...65536).contains(d), (1...d).contains(p), (1...4096).contains(k), layer >= -1, layer < 4096 else {
            throw .malformed(section: "vocabulary", reason: "impossible sizes D=\(d), p=\(p), k=\(k), layer \(layer)")
        }
        let mean = try r.readFloatArray(count: d, "quantizer mean")
        let components = try r.readFloatArray(count: p * d, "quantizer components")
        let centroids = try r.readFloatArray(count: k * p, "quantizer centroids")
        let count = try r.readCount("token count", itemSize: 4)
        guard count == eventCount else {
            throw .badLength(section: "vocabulary", field: "token count", value: count)
        }
        let tokens = try r.readInt32Array(count: count, "tokens")
        guard r.remaining == 0 else {
            throw .malformed(section: "vocabulary", reason: "\(r.remaining) bytes after the tokens")
        }
        return NeuralVocabulary(
            encoder: NeuralEncoderIdentity(
                name: name, digest: digest, hiddenSize: hiddenSize, layer: layer < 0 ? nil : layer),
            window: window,
            quantizer: SymbolicQuantizer.Parameters(
                inputDimension: d, componentCount: p, clusterCount: k, mean: mean, components: components,
                centroids: centroids),
            tokens: tokens)
    }

    private static func decodeMetadata(_ r: inout BinaryReader) throws(ModelFormatError) -> ModelMetadata {
        let version = try r.readString("MusicHal version")
        let created = try r.readString("creation time")
        let rate = try r.readDouble("analysis sample rate")
        guard rate.isFinite, rate > 0 else { throw .malformed(section: "metadata", reason: "sample rate \(rate)") }
        let layout = Int(try r.read(UInt32.self, "feature layout version"))
        let automatic = try r.read(UInt8.self, "threshold flag") != 0
        let sourceCount = try r.readCount("source count", itemSize: 20)
        var sources: [ModelSource] = []
        for _ in 0..<sourceCount {
            let name = try r.readString("source name")
            let hash = try r.readString("source hash")
            let duration = try r.readDouble("source duration")
            let count = Int(try r.read(UInt32.self, "source event count"))
            sources.append(ModelSource(name: name, contentHash: hash, durationSeconds: duration, eventCount: count))
        }
        let parameterCount = try r.readCount("parameter count", itemSize: 8)
        var parameters: [String: String] = [:]
        for _ in 0..<parameterCount {
            let key = try r.readString("parameter name")
            parameters[key] = try r.readString("parameter value")
        }
        return ModelMetadata(
            musicHalVersion: version, createdAt: created, analysisSampleRate: rate, featureLayoutVersion: layout,
            thresholdWasAutomatic: automatic, sources: sources, parameters: parameters)
    }

    /// Events and their features as oracle frames, read in one pass.
    private static func decodeEvents(_ r: inout BinaryReader) throws(ModelFormatError)
        -> (events: [MusicalEvent], frames: [Double], dimension: Int)
    {
        let count = Int(try r.read(UInt32.self, "event count"))
        let dimension = Int(try r.read(UInt32.self, "feature dimension"))
        guard dimension >= 1, dimension <= 4096 else {
            throw .badLength(section: "events", field: "feature dimension", value: dimension)
        }
        let fixedSize = 8 + 8 + 8 + 8 + 8 + 1 + 1 + 4 + 8 + 8 + 8
        let recordSize = fixedSize + 4 * dimension
        guard count.multipliedReportingOverflow(by: recordSize).partialValue == r.remaining else {
            throw .badLength(section: "events", field: "event count", value: count)
        }
        // The section's size was checked against the count: every record is read in place, unchecked.
        let records = try r.readBytes(count * recordSize)
        var events: [MusicalEvent] = []
        events.reserveCapacity(count)
        var frames = [Double](repeating: 0, count: count * dimension)
        // Few distinct pitch sets recur across a corpus: one shared array each instead of one per event.
        var pitchSets: [UInt64: [Int]] = [:]
        for index in 0..<count {
            let base = index * recordSize
            func u64(_ at: Int) -> UInt64 {
                UInt64(littleEndian: records.loadUnaligned(fromByteOffset: base + at, as: UInt64.self))
            }
            func f64(_ at: Int) -> Double { Double(bitPattern: u64(at)) }
            let onset = u64(0)
            let offset = u64(8)
            let midi = f64(16)
            let f0 = f64(24)
            let confidence = f64(32)
            let velocity = records[base + 40]
            let pitchCount = Int(records[base + 41])
            let pitchBytes = UInt32(littleEndian: records.loadUnaligned(fromByteOffset: base + 42, as: UInt32.self))
            let level = f64(46)
            let ioi = u64(54)
            let centroid = f64(62)
            var finite = true
            let featureBase = base + fixedSize
            let features = frames.withUnsafeMutableBufferPointer { frames in
                [Float](unsafeUninitializedCapacity: dimension) { buffer, initialised in
                    for feature in 0..<dimension {
                        let bits = records.loadUnaligned(fromByteOffset: featureBase + 4 * feature, as: UInt32.self)
                        let value = Float(bitPattern: UInt32(littleEndian: bits))
                        finite = finite && value.isFinite
                        buffer[feature] = value
                        frames[index * dimension + feature] = Double(value)
                    }
                    initialised = dimension
                }
            }
            var pitchesValid = pitchCount <= 4
            for slot in 0..<min(pitchCount, 4) where (pitchBytes >> (8 * UInt32(slot))) & 0xFF >= 128 {
                pitchesValid = false
            }
            guard pitchesValid, finite, velocity <= 127, offset >= onset,
                midi.isNaN || (midi > -1 && midi < 140)
            else {
                throw .malformed(section: "events", reason: "event \(index) has out-of-range values")
            }
            let usedBytes = pitchCount == 0 ? 0 : pitchBytes & (UInt32.max >> (32 - 8 * UInt32(pitchCount)))
            let pitchKey = UInt64(pitchCount) << 32 | UInt64(usedBytes)
            let pitches: [Int]
            if let shared = pitchSets[pitchKey] {
                pitches = shared
            } else {
                pitches = (0..<pitchCount).map { Int((pitchBytes >> (8 * UInt32($0))) & 0xFF) }
                pitchSets[pitchKey] = pitches
            }
            events.append(
                MusicalEvent(
                    onsetFrame: onset, offsetFrame: offset, midiPitch: midi.isNaN ? nil : midi,
                    f0Hz: f0.isNaN ? nil : f0, pitchConfidence: confidence, pitches: pitches, velocity: velocity,
                    levelDB: level, interOnsetFrames: ioi, centroidHz: centroid, features: FeatureVector(features)))
        }
        return (events, frames, dimension)
    }

    private static func decodeOracle(_ r: inout BinaryReader, frames: [Double], dimension: Int)
        throws(ModelFormatError) -> VariableMarkovOracle
    {
        let oracleDimension = Int(try r.read(UInt32.self, "oracle dimension"))
        guard oracleDimension == dimension else {
            throw .malformed(section: "oracle", reason: "dimension \(oracleDimension) but events have \(dimension)")
        }
        let threshold = try r.readDouble("threshold")
        let states = try r.readCount("state count", itemSize: 16)
        guard states == frames.count / dimension + 1 else {
            throw .malformed(section: "oracle", reason: "\(states) states for \(frames.count / dimension) events")
        }
        let suffixLinks = try r.readInt32Array(count: states, "suffix links")
        let lrs = try r.readInt32Array(count: states, "lrs")
        let labels = try r.readInt32Array(count: states, "labels")
        let offsets = try r.readUInt32Array(count: states + 1, "transition offsets")
        guard let total = offsets.last, total.multipliedReportingOverflow(by: 4).partialValue == r.remaining else {
            throw .malformed(section: "oracle", reason: "transition offsets are inconsistent")
        }
        let targets = try r.readInt32Array(count: total, "transition targets")
        do {
            return try VariableMarkovOracle(
                dimension: dimension, threshold: threshold, frames: frames, suffixLinks: suffixLinks, lrs: lrs,
                transitions: TransitionRows(offsets: offsets, targets: targets), labels: labels)
        } catch {
            throw .malformed(section: "oracle", reason: error.description)
        }
    }
}
