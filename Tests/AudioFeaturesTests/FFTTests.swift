import AudioFeatures
import RealModule
import Testing

@Suite("Reference FFT")
struct FFTTests {
    @Test("the forward transform matches a direct DFT", arguments: [8, 64, 256])
    func matchesDFT(size: Int) {
        let fft = ReferenceFFT(size: size)
        let input = (0..<size).map { Float(Double.sin(Double($0) * 0.37) + 0.25 * Double.cos(Double($0) * 1.9)) }
        var re = [Float](repeating: 0, count: size / 2 + 1)
        var im = re
        fft.forward(input, real: &re, imaginary: &im)
        for bin in 0...size / 2 {
            var sr = 0.0
            var si = 0.0
            for n in 0..<size {
                let angle = -2 * Double.pi * Double(bin * n) / Double(size)
                sr += Double(input[n]) * Double.cos(angle)
                si += Double(input[n]) * Double.sin(angle)
            }
            #expect(abs(Double(re[bin]) - sr) < 1e-3 * Double(size))
            #expect(abs(Double(im[bin]) - si) < 1e-3 * Double(size))
        }
    }

    @Test("inverse of forward gives the input back, scaled by the size")
    func roundTrip() {
        let size = 128
        let fft = ReferenceFFT(size: size)
        let input = (0..<size).map { Float(($0 * 7919) % 13) - 6 }
        var re = [Float](repeating: 0, count: size / 2 + 1)
        var im = re
        var output = [Float](repeating: 0, count: size)
        fft.forward(input, real: &re, imaginary: &im)
        fft.inverse(real: re, imaginary: im, output: &output)
        for i in 0..<size { #expect(abs(output[i] / Float(size) - input[i]) < 1e-3) }
    }

    @Test("forward leaves its input buffer alone and fills the interleaved bins")
    func buffers() {
        let size = 64
        let fft = ReferenceFFT(size: size)
        let input = (0..<size).map { Float(($0 * 5) % 11) - 5 }
        fft.timeDomain.update(from: input, count: size)
        fft.forward()
        #expect((0..<size).allSatisfy { fft.timeDomain[$0] == input[$0] })
        var re = [Float](repeating: 0, count: size / 2 + 1)
        var im = re
        ReferenceFFT(size: size).forward(input, real: &re, imaginary: &im)
        for bin in 0...size / 2 {
            #expect(fft.frequencyDomain[2 * bin] == re[bin])
            #expect(fft.frequencyDomain[2 * bin + 1] == im[bin])
        }
    }
}
