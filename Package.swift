// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Tocsin",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tocsin", targets: ["tocsin"]),
        .executable(name: "tocsin-bench", targets: ["tocsin-bench"]),
        .executable(name: "tocsind", targets: ["tocsind"]),
        .executable(name: "tocsin-fuzz", targets: ["tocsin-fuzz"]),
        .library(name: "TocsinCrypto", targets: ["TocsinCrypto"]),
        .library(name: "TocsinCore", targets: ["TocsinCore"]),
        .library(name: "TocsinStore", targets: ["TocsinStore"]),
        .library(name: "TocsinNet", targets: ["TocsinNet"]),
        .library(name: "TocsinAdmin", targets: ["TocsinAdmin"]),
        .library(name: "TocsinNode", targets: ["TocsinNode"]),
        .library(name: "TocsinDevelopment", targets: ["TocsinDevelopment"]),
        .library(name: "TocsinCAP", targets: ["TocsinCAP"]),
        .library(name: "TocsinDossier", targets: ["TocsinDossier"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // The system's OpenSSL 3: the one crypto provider (Docs/DESIGN.md, "Rules of the house").
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // Real C functions for what Swift cannot import from OpenSSL's headers (macros).
        .target(name: "COpenSSLShims", dependencies: ["COpenSSL"]),
        .target(name: "TocsinCrypto", dependencies: ["COpenSSL", "COpenSSLShims"]),
        .target(
            name: "TocsinCore",
            dependencies: [
                "TocsinCrypto",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "TocsinStore",
            dependencies: [
                "TocsinCore", "TocsinCrypto", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // SwiftNIO: TLS on OpenSSL, frames, peer sessions.
        .target(
            name: "TocsinNet",
            dependencies: [
                "TocsinCore", "TocsinCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The admin API's shared request and response models, and its Unix-socket client.
        .target(name: "TocsinAdmin", dependencies: ["TocsinCore"]),
        // Dossiers: a record taken out of the network (export from a store, offline verification, report).
        .target(name: "TocsinDossier", dependencies: ["TocsinCore", "TocsinCrypto", "TocsinStore", "TocsinAdmin"]),
        // The node's metrics: their names in one catalogue, swift-metrics recording into a
        // Prometheus registry per node, and the process figures read from /proc.
        .target(
            name: "TocsinMetrics",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The daemon's runtime: store, sync machine and sessions put together.
        .target(
            name: "TocsinNode",
            dependencies: [
                "TocsinCore", "TocsinCrypto", "TocsinStore", "TocsinNet", "TocsinAdmin", "TocsinMetrics",
                "TocsinDossier",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "tocsind",
            dependencies: [
                "TocsinNode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Fictional networks (authority, keys, charter, entries) for devnets, tests and benchmarks.
        .target(
            name: "TocsinDevelopment",
            dependencies: [
                "TocsinCore", "TocsinCrypto", "TocsinStore", "TocsinNode", "TocsinAdmin", "TocsinNet",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // CAP 1.2 XML reading (FoundationXML), kept out of TocsinCore so the daemon links no XML parser.
        .target(name: "TocsinCAP", dependencies: ["TocsinCore"]),
        .executableTarget(
            name: "tocsin",
            dependencies: [
                "TocsinCore", "TocsinCrypto", "TocsinStore", "TocsinNode", "TocsinAdmin", "TocsinDevelopment",
                "TocsinCAP", "TocsinDossier", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets (one per parser or interpreter) and the executable that runs them
        // under libFuzzer (Scripts/fuzz) or replays files through them.
        .target(
            name: "TocsinFuzzing",
            dependencies: [
                "TocsinCore", "TocsinCrypto", "TocsinCAP", "TocsinAdmin", "TocsinDevelopment", "TocsinDossier",
            ]),
        .executableTarget(name: "tocsin-fuzz", dependencies: ["TocsinFuzzing"]),
        .executableTarget(
            name: "tocsin-bench",
            dependencies: [
                "TocsinCore", "TocsinCrypto", "TocsinStore", "TocsinDevelopment", "TocsinNode", "TocsinAdmin",
                "TocsinMetrics", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "TocsinCryptoTests", dependencies: ["TocsinCrypto"]),
        .testTarget(name: "TocsinFuzzingTests", dependencies: ["TocsinFuzzing", "TocsinDossier"]),
        .testTarget(
            name: "TocsinCoreTests", dependencies: ["TocsinCore", "TocsinCrypto", "TocsinDevelopment"],
            exclude: ["testdata"]),
        .testTarget(
            name: "TocsinCAPTests", dependencies: ["TocsinCAP", "TocsinCore", "TocsinCrypto", "TocsinDevelopment"]),
        .testTarget(
            name: "TocsinNetTests",
            dependencies: [
                "TocsinNet", "TocsinCore", "TocsinCrypto", "TocsinDevelopment",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TocsinNodeTests",
            dependencies: [
                "TocsinNode", "TocsinNet", "TocsinStore", "TocsinCore", "TocsinCrypto", "TocsinDevelopment",
                "TocsinAdmin", "TocsinMetrics", .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TocsinStoreTests",
            dependencies: [
                "TocsinStore", "TocsinCore", "TocsinCrypto", "TocsinDevelopment",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "TocsinCommandTests",
            dependencies: [
                "tocsin", "tocsin-bench", "tocsind", "TocsinCore", "TocsinCrypto", "TocsinStore", "TocsinDevelopment",
                "TocsinAdmin", "TocsinDossier",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
