import ModelFormat
import MusicHalCore
import NeuralFeatures
import Testing

/// A model with a vocabulary fitted on made-up 8-D embeddings, one per event.
func sampleNeuralModel(eventCount: Int = 40) throws -> MusicHalModel {
    let plain = try sampleModel(eventCount: eventCount)
    var random = SeededRandomGenerator(seed: 3)
    let vectors = (0..<eventCount).map { index in
        (0..<8).map { j in Float(j == index % 4 ? 1 : 0) + Float(random.nextUnit() * 0.1) }
    }
    let quantizer = try SymbolicQuantizer.fit(
        vectors: vectors, settings: SymbolicQuantizer.Settings(maximumComponents: 4, clusterCount: 4, seed: 5))
    let vocabulary = NeuralVocabulary(
        encoder: NeuralEncoderIdentity(name: "tiny", digest: "fnv1a64:00000000000000aa", hiddenSize: 8, layer: 2),
        window: NeuralEventWindow(), quantizer: quantizer.parameters, tokens: vectors.map { quantizer.token(for: $0) })
    return try MusicHalModel(
        metadata: plain.metadata, events: plain.events, oracle: plain.oracle, vocabulary: vocabulary)
}

@Suite("Model file format: neural vocabulary")
struct NeuralVocabularyTests {
    @Test("the vocabulary survives encoding and decoding; a model without one stays without")
    func roundTrip() throws {
        let model = try sampleNeuralModel()
        let decoded = try ModelFile.decode(ModelFile.encode(model))
        #expect(decoded.vocabulary == model.vocabulary)
        #expect(decoded.vocabulary?.usage.reduce(0, +) == 40)
        #expect(Set(decoded.vocabulary?.tokens ?? []).count == 4)
        #expect(try ModelFile.decode(ModelFile.encode(try sampleModel())).vocabulary == nil)
    }

    @Test("tokens that do not fit the events or the vocabulary are refused")
    func invalid() throws {
        let model = try sampleNeuralModel(eventCount: 10)
        var vocabulary = try #require(model.vocabulary)
        vocabulary.tokens.removeLast()
        #expect(throws: ModelFormatError.self) {
            try MusicHalModel(
                metadata: model.metadata, events: model.events, oracle: model.oracle, vocabulary: vocabulary)
        }
        vocabulary = try #require(model.vocabulary)
        vocabulary.tokens[0] = 4
        #expect(throws: ModelFormatError.self) {
            try MusicHalModel(
                metadata: model.metadata, events: model.events, oracle: model.oracle, vocabulary: vocabulary)
        }
        vocabulary = try #require(model.vocabulary)
        vocabulary.encoder.hiddenSize = 9
        #expect(throws: ModelFormatError.self) {
            try MusicHalModel(
                metadata: model.metadata, events: model.events, oracle: model.oracle, vocabulary: vocabulary)
        }
    }

    @Test("every truncation of the vocabulary section is refused cleanly")
    func truncatedVocabulary() throws {
        let bytes = ModelFile.encode(try sampleNeuralModel(eventCount: 6))
        let plainLength = ModelFile.encode(try sampleModel(eventCount: 6)).count
        // Cut inside the VOCB section (which follows the plain sections) and recompute the checksum, so only the
        // section's own lengths can catch it.
        for cut in stride(from: plainLength - 4 + 12, to: bytes.count - 4, by: 7) {
            var body = Array(bytes[0..<cut])
            body += withUnsafeBytes(of: CRC32.checksum(body).littleEndian) { Array($0) }
            #expect(throws: ModelFormatError.self) { try ModelFile.decode(body) }
        }
    }

    @Test("learned events get no token until one is set")
    func learning() throws {
        var model = try sampleNeuralModel(eventCount: 10)
        try model.learn(try sampleModel(eventCount: 2, seed: 9).events)
        #expect(model.vocabulary?.tokens.suffix(2) == [NeuralVocabulary.noToken, NeuralVocabulary.noToken])
        model.setToken(3, ofEvent: 11)
        model.setToken(99, ofEvent: 10)
        #expect(model.vocabulary?.tokens.suffix(2) == [NeuralVocabulary.noToken, 3])
        let decoded = try ModelFile.decode(ModelFile.encode(model))
        #expect(decoded.vocabulary?.tokens == model.vocabulary?.tokens)
    }
}
