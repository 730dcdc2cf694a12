import AudioFeatures
import FFTWAdapter
import Testing

@Suite("FFTW")
struct FFTWTests {
    @Test("FFTW and the reference FFT agree forwards and backwards", arguments: [16, 1024, 4096])
    func agreesWithReference(size: Int) {
        let fftw = FFTWRealFFT(size: size)
        let reference = ReferenceFFT(size: size)
        let input = (0..<size).map { Float(($0 * 37) % 101) / 50 - 1 }
        var re1 = [Float](repeating: 0, count: size / 2 + 1)
        var im1 = re1
        var re2 = re1
        var im2 = re1
        fftw.forward(input, real: &re1, imaginary: &im1)
        reference.forward(input, real: &re2, imaginary: &im2)
        for bin in 0...size / 2 {
            #expect(abs(re1[bin] - re2[bin]) < 1e-3 * Float(size).squareRoot())
            #expect(abs(im1[bin] - im2[bin]) < 1e-3 * Float(size).squareRoot())
        }
        var back = [Float](repeating: 0, count: size)
        fftw.inverse(real: re1, imaginary: im1, output: &back)
        for i in 0..<size { #expect(abs(back[i] / Float(size) - input[i]) < 1e-4) }
    }

    @Test("an FFTW forward transform leaves its input buffer alone (YIN relies on it)")
    func preservesInput() {
        let size = 4096
        let fftw = FFTWRealFFT(size: size)
        let input = (0..<size).map { Float(($0 * 37) % 101) / 50 - 1 }
        fftw.timeDomain.update(from: input, count: size)
        fftw.forward()
        #expect((0..<size).allSatisfy { fftw.timeDomain[$0] == input[$0] })
        #expect(fftw.frequencyDomain[0] != 0)
    }
}
