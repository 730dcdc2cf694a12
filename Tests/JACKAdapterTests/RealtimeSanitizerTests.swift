import CRTCheck
import Foundation
import RealtimeSupport
import Testing

@testable import JACKAdapter

/// Checks for the RealtimeSanitizer job (`.ci/run-rtsan`). Without the RTSan runtime both are skipped.
@Suite("RealtimeSanitizer scope of the process callback")
struct RealtimeSanitizerTests {
    private static let environment = ProcessInfo.processInfo.environment

    @Test(
        "The RTSan runtime is linked when the RTSan job says so",
        .enabled(if: environment["MUSICHAL_EXPECT_RTSAN"] == "1"))
    func runtimeLinked() {
        #expect(rt_check_active() != 0)
    }

    /// A canary that must be reported: the engine wake-up below allocates, and it runs inside the process
    /// callback's `rt_scope_begin()`/`rt_scope_end()` bracket. `.ci/run-rtsan` runs it alone with
    /// `RTSAN_OPTIONS=halt_on_error=false` (so this test still stops its jackd) and requires RTSan's report of
    /// `malloc`: proof that the runtime is active, the bracket is in place and the callback runs.
    @Test(
        "Canary: an allocation inside the process callback is reported",
        .enabled(if: environment["MUSICHAL_RTSAN_CANARY"] == "1"))
    func canary() throws {
        let server = try JACKTestServer(period: 256)
        defer { server.shutDown() }
        let bridge = RealtimeBridge(maxPeriodFrames: 256) {
            let pointer = malloc(64)
            free(pointer)
        }
        let device = try JACKDevice(configuration: JACKDeviceConfiguration(serverName: server.name), bridge: bridge)
        try device.start()
        defer { device.stop() }
        #expect(waitUntil(timeout: 5) { bridge.counters.cycles > 20 })
    }
}
