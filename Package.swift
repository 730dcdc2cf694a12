// swift-tools-version:6.2
// MusicHal: a real-time improvising musical partner for Linux performance boxes.
//
// Layers (the folder tree under Sources/ mirrors them; .ci/check-imports.py enforces the edges):
//   pure core    MusicHalCore, RealtimeSupport, AudioFeatures, OracleCore, MIDICore, ModelFormat, Improviser,
//                Training: stdlib and Synchronization only; time is the audio sample clock passed in.
//   C shims      CLiblo, CJACK, CALSA, CSystemd, COpenBLAS, CSndfile, CFFTW, CSamplerate: modulemap + shim.h.
//   adapters     turn one C library each into core protocols.
//   composition  MusicHalApp: configuration, logging, services, wiring.
//   executable   musichal.
import PackageDescription

// Elementary functions (log, exp, sin, erf) for pure modules, which may not import Foundation or Glibc.
let realModule: Target.Dependency = .product(name: "RealModule", package: "swift-numerics")

let package = Package(
    name: "MusicHal",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "musichal", targets: ["musichal"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // MARK: Pure core
        .target(name: "MusicHalCore"),
        .target(name: "RealtimeSupport", dependencies: ["MusicHalCore"]),
        .target(
            name: "AudioFeatures", dependencies: ["MusicHalCore", realModule],
            // Debug builds (and so the tests) optimize this module: unoptimized, its SIMD loops make the engine
            // about 6x slower, and the hardening soak (an hour of audio in JACK freewheel) would need about 8
            // minutes instead of about 1 (10 minutes of audio: 82 s against 13 s). unsafeFlags are allowed here
            // because MusicHal is only ever a root package.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "OracleCore", dependencies: ["MusicHalCore", realModule]),
        .target(name: "MIDICore", dependencies: ["MusicHalCore"]),
        .target(name: "NeuralFeatures", dependencies: ["MusicHalCore", realModule]),
        .target(name: "ModelFormat", dependencies: ["MusicHalCore", "OracleCore", "NeuralFeatures"]),
        .target(
            name: "Improviser",
            dependencies: [
                "MusicHalCore", "RealtimeSupport", "AudioFeatures", "OracleCore", "MIDICore", "ModelFormat", realModule,
            ]
        ),
        .target(
            name: "Training",
            dependencies: ["MusicHalCore", "AudioFeatures", "OracleCore", "ModelFormat", "Improviser"]
        ),

        // MARK: C library shims (modulemap + static inline wrappers only)
        .systemLibrary(name: "CLiblo", pkgConfig: "liblo", providers: [.apt(["liblo-dev"])]),
        .systemLibrary(name: "CJACK", pkgConfig: "jack", providers: [.apt(["libjack-jackd2-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSndfile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CSamplerate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),

        // Weak RealtimeSanitizer hooks: a no-op unless the RTSan runtime is linked (see .ci/run-rtsan).
        .target(name: "CRTCheck"),

        // MARK: Adapters (one C library each, exposed through core protocols)
        .target(name: "AudioFileAdapter", dependencies: ["MusicHalCore", "CSndfile"]),
        .target(name: "SampleRateAdapter", dependencies: ["AudioFeatures", "CSamplerate"]),
        .target(name: "FFTWAdapter", dependencies: ["AudioFeatures", "CFFTW"]),
        .target(name: "BLASAdapter", dependencies: ["NeuralFeatures", "COpenBLAS"]),
        .target(name: "OSCAdapter", dependencies: ["Improviser", "CLiblo"]),
        .target(name: "SystemdAdapter", dependencies: ["MusicHalCore", "CSystemd"]),
        .target(
            name: "JACKAdapter",
            dependencies: [
                "MusicHalCore", "RealtimeSupport", "CJACK", "CRTCheck", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ALSAAdapter",
            dependencies: [
                "MusicHalCore", "RealtimeSupport", "MIDICore", "CALSA", .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Composition and executable
        .target(
            name: "MusicHalApp",
            dependencies: [
                "MusicHalCore", "RealtimeSupport", "AudioFeatures", "OracleCore", "MIDICore", "ModelFormat",
                "Improviser", "Training", "NeuralFeatures", "AudioFileAdapter", "SampleRateAdapter", "FFTWAdapter",
                "BLASAdapter", "OSCAdapter", "SystemdAdapter", "JACKAdapter", "ALSAAdapter",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "musichal",
            dependencies: [
                "MusicHalApp", "ModelFormat", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Tests (one target per module; end-to-end tests run the built executable)
        // Synthetic test material with ground truth, shared by the test targets (pure Swift).
        .target(name: "TestSignals", dependencies: [realModule], path: "Tests/TestSignals"),
        .testTarget(name: "MusicHalCoreTests", dependencies: ["MusicHalCore"]),
        .testTarget(name: "RealtimeSupportTests", dependencies: ["RealtimeSupport", "MusicHalCore"]),
        .testTarget(name: "AudioFeaturesTests", dependencies: ["AudioFeatures", "MusicHalCore", "TestSignals"]),
        .testTarget(name: "OracleCoreTests", dependencies: ["OracleCore", "MusicHalCore"]),
        .testTarget(name: "MIDICoreTests", dependencies: ["MIDICore", "MusicHalCore"]),
        .testTarget(name: "NeuralFeaturesTests", dependencies: ["NeuralFeatures", "MusicHalCore"]),
        .testTarget(name: "BLASAdapterTests", dependencies: ["BLASAdapter", "NeuralFeatures"]),
        .testTarget(
            name: "JACKAdapterTests",
            dependencies: ["JACKAdapter", "RealtimeSupport", "MusicHalCore", "MIDICore", "CRTCheck"]
        ),
        .testTarget(
            name: "ALSAAdapterTests", dependencies: ["ALSAAdapter", "RealtimeSupport", "MusicHalCore", "MIDICore"]),
        .testTarget(
            name: "ModelFormatTests", dependencies: ["ModelFormat", "MusicHalCore", "OracleCore", "NeuralFeatures"]),
        .testTarget(
            name: "ImproviserTests",
            dependencies: [
                "Improviser", "MusicHalCore", "AudioFeatures", "OracleCore", "MIDICore", "ModelFormat", "Training",
                "TestSignals", "NeuralFeatures",
            ]
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "MusicHalCore", "AudioFeatures", "ModelFormat", "OracleCore", "TestSignals"]
        ),
        .testTarget(
            name: "AdapterTests",
            dependencies: [
                "AudioFileAdapter", "SampleRateAdapter", "FFTWAdapter", "AudioFeatures", "MusicHalCore", "TestSignals",
            ]
        ),
        .testTarget(
            name: "SystemLibraryLinkTests",
            dependencies: ["CLiblo", "CJACK", "CALSA", "CSystemd", "COpenBLAS", "CSndfile", "CFFTW", "CSamplerate"]
        ),
        .testTarget(
            name: "MusicHalAppTests",
            dependencies: [
                "MusicHalApp", "MusicHalCore", "MIDICore", "ModelFormat", "Improviser", "OracleCore", "NeuralFeatures",
                "AudioFeatures", "AudioFileAdapter", "SampleRateAdapter", "FFTWAdapter", "RealtimeSupport", "Training",
                "TestSignals",
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["musichal", "MIDICore", "MusicHalCore", "TestSignals", "AudioFileAdapter"],
            exclude: ["Peers"]
        ),
    ]
)

// Strict upcoming features on every Swift target, as swift-log does.
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
