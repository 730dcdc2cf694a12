import BLASAdapter
import Dispatch
import Foundation
import NeuralFeatures
import Synchronization
import Testing

/// The fixture folder `shared/fixtures/w2v`, beside the package checkout.
private let fixtureDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/fixtures/w2v").standardizedFileURL

private func fixtureBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: fixtureDirectory.appendingPathComponent(path).path) else {
        throw FixtureMissing(description: "wav2vec2 fixture \(path) not found under \(fixtureDirectory.path)")
    }
    return [UInt8](data)
}

private func fixtureFloats(_ path: String) throws -> [Float] {
    let raw = try fixtureBytes(path)
    return raw.withUnsafeBytes { buffer in
        (0..<(raw.count / 4)).map {
            Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
        }
    }
}

private struct FixtureMissing: Error, CustomStringConvertible {
    let description: String
}

@Suite("OpenBLAS GEMM adapter", .serialized)
struct OpenBLASMatrixMultiplierTests {
    /// Deterministic values in [-1, 1].
    struct Values {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 40) % 2001 - 1000) / 1000
        }
    }

    /// Largest difference between `multiplier` and the reference on one random problem.
    static func worstDifference(
        _ multiplier: OpenBLASMatrixMultiplier, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, beta: Float, seed: UInt64
    ) -> Float {
        var values = Values(state: seed)
        let lda = (transposeA ? m : k) + 3
        let ldb = (transposeB ? k : n) + 2
        let ldc = n + 1
        let a = (0..<(max(transposeA ? k : m, 1) * lda)).map { _ in values.next() }
        let b = (0..<(max(transposeB ? n : k, 1) * ldb)).map { _ in values.next() }
        var expected = (0..<(m * ldc)).map { _ in values.next() }
        var actual = expected
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                expected.withUnsafeMutableBufferPointer { pc in
                    ReferenceMatrixMultiplier().multiply(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                        a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
                        c: pc.baseAddress!, ldc: ldc)
                }
                actual.withUnsafeMutableBufferPointer { pc in
                    multiplier.multiply(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                        a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta,
                        c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        return zip(expected, actual).map { abs($0 - $1) }.max() ?? 0
    }

    @Test(
        "agrees with the reference multiplier for every transpose, stride, alpha, beta and thread count",
        arguments: [(false, false), (false, true), (true, false), (true, true)], [1, 2, 3])
    func agreesWithReference(transposes: (Bool, Bool), threads: Int) {
        let multiplier = OpenBLASMatrixMultiplier(threads: threads)
        // Small products run unsplit; (24, 768, 96) splits columns, (300, 64, 64) and (130, 70, 120) split rows.
        for (m, n, k) in [(1, 1, 1), (17, 33, 65), (24, 768, 96), (300, 64, 64), (130, 70, 120), (3, 5, 0)] {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                let worst = Self.worstDifference(
                    multiplier, transposeA: transposes.0, transposeB: transposes.1, m: m, n: n, k: k, alpha: alpha,
                    beta: beta, seed: UInt64(m * 131 + n * 7 + k))
                #expect(worst <= 1e-4 * Float(max(k, 1)).squareRoot(), "m=\(m) n=\(n) k=\(k): \(worst)")
            }
        }
    }

    @Test("one multiplier shared by several threads stays correct")
    func sharedAcrossThreads() {
        let multiplier = OpenBLASMatrixMultiplier(threads: 2)
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 6) { index in
            let worst = Self.worstDifference(
                multiplier, transposeA: false, transposeB: index % 2 == 0, m: 48, n: 512, k: 64, alpha: 1, beta: 0,
                seed: UInt64(index))
            if worst > 1e-3 { failures.add(1, ordering: .relaxed) }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    @Test("thread count can be set and read back; the kernel family has a name")
    func runtime() {
        let before = OpenBLASRuntime.threadCount
        OpenBLASRuntime.setThreadCount(1)
        #expect(OpenBLASRuntime.threadCount == 1)
        OpenBLASRuntime.setThreadCount(2)
        #expect(OpenBLASRuntime.threadCount == 2)
        OpenBLASRuntime.setThreadCount(before)
        #expect(!OpenBLASRuntime.coreName.isEmpty && OpenBLASRuntime.coreName != "unknown")
        #expect(OpenBLASRuntime.configuration.contains("OpenBLAS"))
    }

    @Test(
        "the forward pass on OpenBLAS matches the reference fixtures",
        arguments: [("group_postln", 1), ("group_postln", 2), ("layer_preln", 2), ("layer_preln", 3)])
    func forwardPass(family: String, threads: Int) throws {
        let before = OpenBLASRuntime.threadCount
        OpenBLASRuntime.setThreadCount(threads)
        defer { OpenBLASRuntime.setThreadCount(before) }
        let configuration = try Wav2Vec2Configuration(
            json: JSONValue.parse(fixtureBytes("\(family)/config.json"), file: "config.json"), file: "config.json")
        let archive = try SafetensorsArchive(
            storage: ArrayByteStorage(fixtureBytes("\(family)/model.parametrizations.safetensors")), label: family)
        let model = try Wav2Vec2Model(
            configuration: configuration, preprocessing: Wav2Vec2Preprocessing(), weights: archive)
        let encoder = Wav2Vec2Encoder(model: model, multiplier: OpenBLASMatrixMultiplier(threads: threads))
        for length in [4000, 5600, 8000] {
            let output = try encoder.encode(
                fixtureFloats("inputs/wave_\(length).raw.f32"),
                request: Wav2Vec2Request(stages: [.convFeatures], hiddenStateLayers: [0, 1, 2]))
            let folder = "\(family)/len_\(length)"
            let conv = try fixtureFloats("\(folder)/conv_features.f32")
            let last = try fixtureFloats("\(folder)/last_hidden_state.f32")
            let pooled = try fixtureFloats("\(folder)/pooled_mean.f32")
            let hidden = try fixtureFloats("\(folder)/hidden_states.f32")
            let convError =
                zip(try #require(output.stages[.convFeatures]), conv).map { abs($0 - $1) }.max() ?? .infinity
            let lastError = zip(output.lastHiddenState, last).map { abs($0 - $1) }.max() ?? .infinity
            let pooledError = zip(output.pooledMean, pooled).map { abs($0 - $1) }.max() ?? .infinity
            #expect(output.lastHiddenState.count == last.count)
            #expect(convError <= 1e-5, "\(folder) conv_features \(convError)")
            #expect(lastError <= 1e-4, "\(folder) last_hidden_state \(lastError)")
            #expect(pooledError <= 1e-5, "\(folder) pooled_mean \(pooledError)")
            for layer in 0...2 {
                let size = output.frameCount * 32
                let expected = hidden[(layer * size)..<((layer + 1) * size)]
                let error =
                    zip(try #require(output.hiddenStates[layer]), expected).map { abs($0 - $1) }.max() ?? .infinity
                #expect(error <= 1e-4, "\(folder) hidden_states[\(layer)] \(error)")
            }
        }
    }
}
