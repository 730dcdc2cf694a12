import CALSA
import CFFTW
import CJACK
import CLiblo
import COpenBLAS
import CSamplerate
import CSndfile
import CSystemd
import Testing

/// Each C library links through its shim and answers a call. No hardware or server is needed: these calls
/// only read versions or do arithmetic.
@Suite("System library shims")
struct SystemLibraryLinkTests {
    @Test("liblo reports its version")
    func liblo() {
        var buffer = [CChar](repeating: 0, count: 64)
        var major: Int32 = 0
        var minor: Int32 = 0
        lo_version(&buffer, 64, &major, &minor, nil, 0, nil, nil, nil)
        #expect(major == 0 && minor >= 31)
    }

    @Test("libjack reports its version string")
    func jack() {
        let version = String(cString: jack_get_version_string())
        #expect(version.hasPrefix("1.9") || version.hasPrefix("2."))
    }

    @Test("ALSA reports its library version")
    func alsa() {
        #expect(String(cString: snd_asoundlib_version()).hasPrefix("1."))
    }

    @Test("libsystemd's sd_notify is a no-op without NOTIFY_SOCKET")
    func systemd() {
        // The test process has no NOTIFY_SOCKET (systemd is not PID 1 here); sd_notify then returns 0.
        #expect(sd_notify(0, "STATUS=test") >= 0)
    }

    @Test("OpenBLAS multiplies matrices")
    func openblas() {
        let a: [Float] = [1, 2, 3, 4]
        let b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
    }

    @Test("libsndfile reports its version")
    func sndfile() {
        #expect(String(cString: sf_version_string()).hasPrefix("libsndfile-1."))
    }

    @Test("FFTW transforms a constant into its DC bin")
    func fftw() {
        let input = fftwf_alloc_real(8)!
        let output = fftwf_alloc_complex(5)!
        defer {
            fftwf_free(input)
            fftwf_free(output)
        }
        let plan = fftwf_plan_dft_r2c_1d(8, input, output, UInt32(FFTW_ESTIMATE))
        for i in 0..<8 { input[i] = 1 }
        fftwf_execute(plan)
        fftwf_destroy_plan(plan)
        #expect(output[0].0 == 8)
        #expect(abs(output[1].0) < 1e-6)
    }

    @Test("libsamplerate knows its converters")
    func samplerate() {
        #expect(String(cString: src_get_name(Int32(SRC_SINC_BEST_QUALITY))).contains("Sinc"))
    }
}
