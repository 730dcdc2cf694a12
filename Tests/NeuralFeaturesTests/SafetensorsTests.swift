import NeuralFeatures
import Testing

@Suite("safetensors reader")
struct SafetensorsTests {
    func archive(_ bytes: [UInt8]) throws -> SafetensorsArchive {
        try SafetensorsArchive(storage: ArrayByteStorage(bytes), label: "w.safetensors")
    }

    @Test("reads F32, F16 and BF16 tensors as float32")
    func dataTypes() throws {
        // 1, -2, 0.5, 65504 (largest half), a subnormal half, infinity-free.
        let half: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001]
        let halfBytes = half.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let brain: [Float] = [1.5, -3, 0.15625]
        let brainBytes = brain.flatMap { value -> [UInt8] in
            let bits = value.bitPattern >> 16
            return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
        }
        let file = makeSafetensors([
            ("f", "F32", [2, 2], floatBytes([1, 2, 3, 4])), ("h", "F16", [5], halfBytes),
            ("b", "BF16", [3], brainBytes),
            ("i", "I64", [1], [UInt8](repeating: 0, count: 8)),
        ])
        let parsed = try archive(file)
        #expect(parsed.metadata == ["format": "pt"])
        #expect(parsed.entries["f"]?.shape == [2, 2])
        #expect(try parsed.floats(named: "f") == [1, 2, 3, 4])
        #expect(try parsed.floats(named: "h") == [1, -2, 0.5, 65504, 0x1p-24])
        #expect(try parsed.floats(named: "b") == brain)
        #expect(throws: NeuralFeaturesError.unsupportedDataType(file: "w.safetensors", name: "i", dtype: "I64")) {
            try parsed.floats(named: "i")
        }
        #expect(throws: NeuralFeaturesError.missingTensor(file: "w.safetensors", name: "nope")) {
            try parsed.floats(named: "nope")
        }
    }

    @Test("reads F32 data at an unaligned position by copying")
    func unaligned() throws {
        let file = makeSafetensors(
            [("pad", "U8", [1], [7]), ("f", "F32", [3], floatBytes([0.25, -1, 1e-3]))], alignHeader: false)
        #expect(try archive(file).floats(named: "f") == [0.25, -1, 1e-3])
    }

    @Test("rejects damaged files with a message naming the file or tensor")
    func damaged() throws {
        let good = makeSafetensors([("t", "F32", [4], floatBytes([1, 2, 3, 4]))])
        #expect(throws: NeuralFeaturesError.self) { try archive([1, 2, 3]) }
        var hugeLength = good
        hugeLength[5] = 0x7F
        #expect(throws: NeuralFeaturesError.self) { try archive(hugeLength) }
        let truncated = Array(good.dropLast(4))
        let error = #expect(throws: NeuralFeaturesError.self) { try archive(truncated) }
        #expect(error?.description.contains("'t'") == true)
        #expect(error?.description.contains("w.safetensors") == true)
        let wrongSize = makeSafetensors([("t", "F32", [5], floatBytes([1, 2, 3, 4]))])
        #expect(throws: NeuralFeaturesError.self) { try archive(wrongSize) }
        var badJSON = good
        badJSON[8] = UInt8(ascii: "[")
        #expect(throws: NeuralFeaturesError.self) { try archive(badJSON) }
    }

    @Test("a shape that disagrees with the configuration names the tensor")
    func shapeMismatch() throws {
        let original = try W2VFixtures.bytes("group_postln/model.safetensors")
        let parsed = try archive(original)
        // Re-encode every tensor, giving the projection bias a wrong shape (same byte count, so the file is valid).
        var tensors: [(String, String, [Int], [UInt8])] = []
        for name in parsed.entries.keys.sorted() {
            let entry = parsed.entries[name]!
            let shape = name == "feature_projection.projection.bias" ? [2, 16] : entry.shape
            tensors.append((name, "F32", shape, floatBytes(try parsed.floats(named: name))))
        }
        let modified = try SafetensorsArchive(
            storage: ArrayByteStorage(makeSafetensors(tensors)), label: "m.safetensors")
        #expect(
            throws: NeuralFeaturesError.shapeMismatch(
                file: "m.safetensors", name: "feature_projection.projection.bias", expected: [32], found: [2, 16])
        ) {
            try Wav2Vec2Model(
                configuration: W2VFixtures.configuration("group_postln"), preprocessing: Wav2Vec2Preprocessing(),
                weights: modified)
        }
    }

    @Test("accepts the wav2vec2. prefix and ignores extra heads; reports a missing tensor by name")
    func prefixesAndHeads() throws {
        let original = try archive(W2VFixtures.bytes("layer_preln/model.safetensors"))
        var tensors: [(String, String, [Int], [UInt8])] = []
        for name in original.entries.keys.sorted() {
            let entry = original.entries[name]!
            tensors.append(("wav2vec2." + name, "F32", entry.shape, floatBytes(try original.floats(named: name))))
        }
        tensors.append(("lm_head.weight", "F32", [2, 2], floatBytes([1, 2, 3, 4])))
        tensors.append(("quantizer.codevectors", "F32", [1, 4], floatBytes([.nan, 0, 0, 0])))
        tensors.append(("project_q.weight", "F32", [1], floatBytes([1])))
        tensors.append(("masked_spec_embed", "F32", [32], floatBytes([Float](repeating: 0, count: 32))))
        let configuration = try W2VFixtures.configuration("layer_preln")
        let prefixed = try SafetensorsArchive(
            storage: ArrayByteStorage(makeSafetensors(tensors)), label: "p.safetensors")
        let model = try Wav2Vec2Model(
            configuration: configuration, preprocessing: Wav2Vec2Preprocessing(), weights: prefixed)
        let reference = try W2VFixtures.model("layer_preln")
        let wave = try W2VFixtures.wave(4000)
        let a = try Wav2Vec2Encoder(model: model, multiplier: ReferenceMatrixMultiplier()).encode(wave)
        let b = try Wav2Vec2Encoder(model: reference, multiplier: ReferenceMatrixMultiplier()).encode(wave)
        #expect(a == b)

        let missing = tensors.filter { $0.0 != "wav2vec2.encoder.layers.1.feed_forward.output_dense.bias" }
        let incomplete = try SafetensorsArchive(
            storage: ArrayByteStorage(makeSafetensors(missing)), label: "i.safetensors")
        #expect(
            throws: NeuralFeaturesError.missingTensor(
                file: "i.safetensors", name: "encoder.layers.1.feed_forward.output_dense.bias")
        ) {
            try Wav2Vec2Model(configuration: configuration, preprocessing: Wav2Vec2Preprocessing(), weights: incomplete)
        }
    }

    @Test("rejects NaN in a weight the encoder uses")
    func nonFinite() throws {
        let original = try archive(W2VFixtures.bytes("group_postln/model.safetensors"))
        var tensors: [(String, String, [Int], [UInt8])] = []
        for name in original.entries.keys.sorted() {
            var values = try original.floats(named: name)
            if name == "encoder.layers.0.attention.k_proj.weight" { values[5] = .infinity }
            tensors.append((name, "F32", original.entries[name]!.shape, floatBytes(values)))
        }
        let broken = try SafetensorsArchive(storage: ArrayByteStorage(makeSafetensors(tensors)), label: "n.safetensors")
        #expect(
            throws: NeuralFeaturesError.nonFiniteTensor(
                file: "n.safetensors", name: "encoder.layers.0.attention.k_proj.weight")
        ) {
            try Wav2Vec2Model(
                configuration: W2VFixtures.configuration("group_postln"), preprocessing: Wav2Vec2Preprocessing(),
                weights: broken)
        }
    }

    @Test("an already folded positional weight loads as is")
    func foldedWeight() throws {
        let original = try archive(W2VFixtures.bytes("group_postln/model.safetensors"))
        let reference = try W2VFixtures.model("group_postln")
        var tensors: [(String, String, [Int], [UInt8])] = []
        for name in original.entries.keys.sorted() where !name.contains("weight_g") && !name.contains("weight_v") {
            tensors.append((name, "F32", original.entries[name]!.shape, floatBytes(try original.floats(named: name))))
        }
        tensors.append(
            ("encoder.pos_conv_embed.conv.weight", "F32", [32, 8, 16], floatBytes(reference.foldedPositionalWeight())))
        let folded = try SafetensorsArchive(storage: ArrayByteStorage(makeSafetensors(tensors)), label: "f.safetensors")
        let model = try Wav2Vec2Model(
            configuration: W2VFixtures.configuration("group_postln"), preprocessing: Wav2Vec2Preprocessing(),
            weights: folded)
        #expect(model.foldedPositionalWeight() == reference.foldedPositionalWeight())
    }
}
