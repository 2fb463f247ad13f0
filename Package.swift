// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "MediaJobs",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mediajobs", targets: ["mediajobs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C libraries, bound as Debian 12 ships them (FFmpeg 5.1, libcurl 7.88).
        .systemLibrary(
            name: "CMediaFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev",
                              "libavfilter-dev", "libswresample-dev", "libswscale-dev"])]),
        .systemLibrary(
            name: "CMediaCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(
            name: "CMediaShims",
            dependencies: ["CMediaFFmpeg", "CMediaCurl"]),

        .target(name: "MediaJobsCore"),
        .target(
            name: "MediaJobsStore",
            dependencies: [
                "MediaJobsCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // The job store on PostgreSQL, for a fleet of workers sharing one queue.
        .target(
            name: "MediaJobsPostgres",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "MediaJobsFFmpeg",
            dependencies: [
                "MediaJobsCore", "CMediaFFmpeg", "CMediaShims",
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .target(
            name: "MediaJobsHTTP",
            dependencies: [
                "MediaJobsCore", "CMediaCurl", "CMediaShims",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // CMediaShims also holds the FFmpeg log and error shims, which call libavutil; nothing here
            // imports the FFmpeg module that would otherwise bring that library to the link.
            linkerSettings: [.linkedLibrary("avutil")]),
        .target(
            name: "MediaJobsProviders",
            dependencies: [
                "MediaJobsCore", "MediaJobsFFmpeg", "MediaJobsHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "MediaJobsWorker",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore", "MediaJobsProviders", "MediaJobsFFmpeg",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // A faithful stand-in for the providers' HTTP APIs, built from their documents (never from
        // MediaJobsProviders), for tests and demos.
        .target(
            name: "MediaJobsSimulator",
            dependencies: [
                "MediaJobsCore", "MediaJobsFFmpeg",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"],
            resources: [.copy("Resources/openrouter-openapi.yaml")]),
        .target(
            name: "MediaJobsServer",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore", "MediaJobsWorker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [
                .embedInCode("Resources/openapi.json"),
                .embedInCode("Resources/index.html"),
                .embedInCode("Resources/dashboard.css"),
                .embedInCode("Resources/dashboard.js"),
            ]),
        .executableTarget(
            name: "mediajobs",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore", "MediaJobsFFmpeg", "MediaJobsProviders", "MediaJobsWorker",
                "MediaJobsSimulator",
                "MediaJobsServer", "MediaJobsPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // Benchmarks: programs that print numbers (see docs/BENCHMARKS.md).
        .executableTarget(
            name: "QueueBenchmark",
            dependencies: ["MediaJobsCore", "MediaJobsStore", "MediaJobsPostgres"],
            path: "Benchmarks/QueueBenchmark"),
        .executableTarget(
            name: "WakeBenchmark",
            dependencies: ["MediaJobsCore", "MediaJobsStore", "MediaJobsPostgres"],
            path: "Benchmarks/WakeBenchmark"),
        .executableTarget(
            name: "DownloadBenchmark",
            dependencies: ["MediaJobsHTTP"],
            path: "Benchmarks/DownloadBenchmark"),
        .executableTarget(
            name: "SpeechBenchmark",
            dependencies: ["MediaJobsCore", "MediaJobsFFmpeg"],
            path: "Benchmarks/SpeechBenchmark"),
        .executableTarget(
            name: "FleetBenchmark",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore", "MediaJobsFFmpeg", "MediaJobsProviders", "MediaJobsWorker",
                "MediaJobsSimulator", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/FleetBenchmark"),
        .executableTarget(
            name: "ChaosBenchmark",
            dependencies: ["MediaJobsCore", "MediaJobsStore", "MediaJobsSimulator"],
            path: "Benchmarks/ChaosBenchmark"),
        .executableTarget(
            name: "SubmitBenchmark",
            path: "Benchmarks/SubmitBenchmark"),
        .executableTarget(
            name: "LongInputBenchmark",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore", "MediaJobsFFmpeg", "MediaJobsHTTP", "MediaJobsProviders",
                "MediaJobsWorker", "MediaJobsSimulator", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/LongInputBenchmark"),
        .executableTarget(
            name: "MediaBenchmark",
            dependencies: ["MediaJobsCore", "MediaJobsFFmpeg"],
            path: "Benchmarks/MediaBenchmark"),

        .testTarget(name: "MediaJobsCoreTests", dependencies: ["MediaJobsCore"]),
        .testTarget(
            name: "MediaJobsStoreTests",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore", "MediaJobsPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "MediaJobsPostgresTests",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore", "MediaJobsPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(name: "MediaJobsFFmpegTests", dependencies: ["MediaJobsCore", "MediaJobsFFmpeg"]),
        .testTarget(
            name: "MediaJobsHTTPTests",
            dependencies: ["MediaJobsCore", "MediaJobsHTTP", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Support/loopback_server.py"]),
        .testTarget(
            name: "MediaJobsProvidersTests",
            dependencies: ["MediaJobsCore", "MediaJobsProviders", "MediaJobsFFmpeg", "MediaJobsHTTP"]),
        .testTarget(
            name: "MediaJobsWorkerTests",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore", "MediaJobsProviders", "MediaJobsFFmpeg", "MediaJobsWorker",
                "MediaJobsSimulator", "MediaJobsHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "MediaJobsSimulatorTests",
            dependencies: ["MediaJobsCore", "MediaJobsFFmpeg", "MediaJobsSimulator"]),
        .testTarget(
            name: "MediaJobsServerTests",
            dependencies: [
                "MediaJobsCore", "MediaJobsStore", "MediaJobsProviders", "MediaJobsFFmpeg", "MediaJobsWorker",
                "MediaJobsServer",
            ],
            exclude: ["Python"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["MediaJobsCore", "MediaJobsStore", "MediaJobsPostgres", "MediaJobsFFmpeg", "MediaJobsSimulator"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (docs/FUZZING.md), declared only when MEDIAJOBS_FUZZ is set: ordinary builds, tests and CI
// never build them. `make fuzz` sets it and builds them with `-sanitize=fuzzer,address` in .build-fuzz.
if Context.environment["MEDIAJOBS_FUZZ"] != nil {
    package.targets += [
        .target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["MediaJobsCore"], path: "Fuzz/FuzzSupport"),
        .executableTarget(
            name: "FuzzJobDocument", dependencies: ["MediaJobsCore", "CFuzzDriver"],
            path: "Fuzz/FuzzJobDocument"),
        .executableTarget(
            name: "FuzzTranscriptAnswers",
            dependencies: ["MediaJobsCore", "MediaJobsHTTP", "MediaJobsProviders", "FuzzSupport", "CFuzzDriver"],
            path: "Fuzz/FuzzTranscriptAnswers"),
        .executableTarget(
            name: "FuzzSubtitles", dependencies: ["MediaJobsCore", "FuzzSupport", "CFuzzDriver"],
            path: "Fuzz/FuzzSubtitles"),
        .executableTarget(
            name: "FuzzMediaValidator", dependencies: ["MediaJobsCore", "MediaJobsFFmpeg", "FuzzSupport", "CFuzzDriver"],
            path: "Fuzz/FuzzMediaValidator"),
    ]
}
