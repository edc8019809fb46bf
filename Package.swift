// swift-tools-version:6.1
// rexec-stack: the server side of the NDP remote-execution stack and the per-user pods backend.
//
// Sources/Shared holds what the services share, one target a job (docs/ARCHITECTURE.md, whose
// module graph a test checks against this file):
//   Essentials    JSON, Codable decoding and schemas, names, time and deadlines, the outbound HTTP client
//   AccessPolicy  the declarative access policy: its format, decisions, audit, reloads
//   ServiceKit    settings, routes, the Hummingbird application, errors, health, metrics, docs
//   Identity      the IdP client and cache, tokens, group gate, role tiers
//   Access        the policy applied to routes and IdP users: route bindings, the access middleware
//   Kubernetes    the Kubernetes REST client, watches, kubeconfig, typed models
//   BrokerWire    the broker's side-port wire types, shared with the deploy API
//   RexecWire     the rexec routes and wire types the deploy API and the EP both serve
// Each binary depends on the parts it uses; imports point one way: services → wire modules →
// Access → Identity / Kubernetes → ServiceKit → Essentials; Access → AccessPolicy → Essentials.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

extension Target.Dependency {
    static let argumentParser = Self.product(name: "ArgumentParser", package: "swift-argument-parser")
    static let asyncHTTPClient = Self.product(name: "AsyncHTTPClient", package: "async-http-client")
    static let crypto = Self.product(name: "Crypto", package: "swift-crypto")
    static let httpTypes = Self.product(name: "HTTPTypes", package: "swift-http-types")
    static let hummingbird = Self.product(name: "Hummingbird", package: "hummingbird")
    static let hummingbirdAuth = Self.product(name: "HummingbirdAuth", package: "hummingbird-auth")
    static let hummingbirdCore = Self.product(name: "HummingbirdCore", package: "hummingbird")
    static let hummingbirdTesting = Self.product(name: "HummingbirdTesting", package: "hummingbird")
    static let hummingbirdWebSocket = Self.product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")
    static let hummingbirdWSClient = Self.product(name: "HummingbirdWSClient", package: "hummingbird-websocket")
    static let logging = Self.product(name: "Logging", package: "swift-log")
    static let metrics = Self.product(name: "Metrics", package: "swift-metrics")
    static let nioConcurrencyHelpers = Self.product(name: "NIOConcurrencyHelpers", package: "swift-nio")
    static let nioCore = Self.product(name: "NIOCore", package: "swift-nio")
    static let nioHTTP1 = Self.product(name: "NIOHTTP1", package: "swift-nio")
    static let nioPosix = Self.product(name: "NIOPosix", package: "swift-nio")
    static let prometheus = Self.product(name: "Prometheus", package: "swift-prometheus")
    static let serviceLifecycle = Self.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
    static let unixSignals = Self.product(name: "UnixSignals", package: "swift-service-lifecycle")
    static let yams = Self.product(name: "Yams", package: "Yams")
    static let zipFoundation = Self.product(name: "ZIPFoundation", package: "ZIPFoundation")
}

/// A part of Shared: its own target in `Sources/Shared/<name>`.
func sharedModule(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: dependencies, path: "Sources/Shared/\(name)", swiftSettings: swiftSettings)
}

/// One executable per deployable service, over the Shared parts it names.
func service(
    _ target: String, _ dependencies: [Target.Dependency], exclude: [String] = [], plugins: [Target.PluginUsage] = []
) -> Target {
    .executableTarget(
        name: target,
        dependencies: ["Essentials", "ServiceKit", .argumentParser, .hummingbird, .logging, .prometheus] + dependencies,
        exclude: exclude,
        swiftSettings: swiftSettings,
        plugins: plugins
    )
}

func tests(_ name: String, _ dependencies: [Target.Dependency], path: String? = nil) -> Target {
    .testTarget(name: name, dependencies: dependencies, path: path, swiftSettings: swiftSettings)
}

let package = Package(
    name: "rexec-stack",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rexec-broker", targets: ["Broker"]),
        .executable(name: "rexec-deploy-api", targets: ["DeployAPI"]),
        .executable(name: "ndp-ep-api", targets: ["EPGateway"]),
        .executable(name: "user-pods-backend", targets: ["PodsBackend"]),
        .executable(name: "dev-idp", targets: ["DevIdP"]),
        .executable(name: "kube-sim", targets: ["KubeSimServer"]),
        .executable(name: "policy-bench", targets: ["PolicyBench"]),
        .library(
            name: "Shared", targets: ["Essentials", "AccessPolicy", "ServiceKit", "Identity", "Access", "Kubernetes", "BrokerWire", "RexecWire"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        // MARK: Shared
        sharedModule("Essentials", [.asyncHTTPClient, .nioConcurrencyHelpers, .nioCore, .nioPosix]),
        sharedModule("AccessPolicy", ["Essentials", .crypto, .logging, .metrics, .nioConcurrencyHelpers, .serviceLifecycle, .unixSignals, .yams]),
        sharedModule(
            "ServiceKit",
            [
                "Essentials", .argumentParser, .asyncHTTPClient, .httpTypes, .hummingbird, .hummingbirdCore, .logging, .metrics,
                .nioConcurrencyHelpers, .nioCore, .nioHTTP1, .prometheus, .serviceLifecycle, .hummingbirdWebSocket,
            ]),
        sharedModule(
            "Identity",
            [
                "Essentials", "ServiceKit", .asyncHTTPClient, .crypto, .hummingbird, .logging, .metrics, .nioConcurrencyHelpers, .nioCore,
                .nioHTTP1,
            ]),
        sharedModule(
            "Access", ["Essentials", "ServiceKit", "Identity", "AccessPolicy", .hummingbird, .hummingbirdAuth, .logging, .serviceLifecycle]),
        sharedModule(
            "Kubernetes",
            [
                "Essentials", "ServiceKit", .asyncHTTPClient, .httpTypes, .logging, .nioConcurrencyHelpers, .nioCore, .nioHTTP1,
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .yams,
            ]),
        sharedModule("BrokerWire", ["Essentials", "ServiceKit", .crypto]),
        sharedModule("RexecWire", ["Essentials", "ServiceKit", "Access", "AccessPolicy", "BrokerWire", .hummingbird]),

        // MARK: Services
        service("Broker", ["Identity", "BrokerWire", "Kubernetes", "ZeroMQ", .crypto, .nioConcurrencyHelpers, .serviceLifecycle]),
        service(
            "DeployAPI",
            [
                "AccessPolicy", "Identity", "Access", "Kubernetes", "BrokerWire", "RexecWire", .asyncHTTPClient, .crypto, .httpTypes,
                .nioConcurrencyHelpers, .nioCore, .serviceLifecycle, .zipFoundation,
            ]
        ),
        service(
            "EPGateway",
            [
                "AccessPolicy", "CLinuxFiles", "Identity", "Access", "RexecWire", .asyncHTTPClient, .crypto, .httpTypes, .nioConcurrencyHelpers,
                .nioCore,
                .nioHTTP1,
                .serviceLifecycle, .product(name: "SQLiteNIO", package: "sqlite-nio"), .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .hummingbirdWebSocket, .hummingbirdWSClient,
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            // The web console's files, compiled into the binary by the plugin.
            exclude: ["Console/Assets"], plugins: ["EmbedConsoleAssets"]),
        service(
            "PodsBackend",
            [
                "AccessPolicy", "Identity", "Access", "Kubernetes", .asyncHTTPClient, .crypto, .httpTypes, .hummingbirdAuth, .nioCore,
                .serviceLifecycle, .yams,
            ]),
        service("DevIdP", ["DevIdPKit"]),
        service("KubeSimServer", ["KubeSim"]),

        // MARK: Build tools
        .executableTarget(name: "EmbedAssets", path: "Sources/Tools/EmbedAssets", swiftSettings: swiftSettings),
        .plugin(name: "EmbedConsoleAssets", capability: .buildTool(), dependencies: ["EmbedAssets"]),

        // `make bench`: nanoseconds per access-policy decision.
        .executableTarget(
            name: "PolicyBench", dependencies: ["AccessPolicy", .logging], path: "Sources/Benchmarks/PolicyBench", swiftSettings: swiftSettings),

        // MARK: Development peers (never deployed)
        .target(
            name: "DevIdPKit", dependencies: ["Essentials", "ServiceKit", "Identity", .crypto, .hummingbird, .prometheus, .yams],
            swiftSettings: swiftSettings),
        .target(
            name: "KubeSim",
            dependencies: [
                "Essentials", "ServiceKit", "Identity", .hummingbird, .hummingbirdCore, .prometheus, .serviceLifecycle, .yams,
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: ZeroMQ (libzmq through a system library)
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], swiftSettings: swiftSettings),
        // copy_file_range and syncfs for staging's copies (glibc declares them only with _GNU_SOURCE).
        .target(name: "CLinuxFiles"),

        // MARK: Tests
        .target(
            name: "TestSupport", dependencies: ["Essentials", "ServiceKit", .asyncHTTPClient, .logging, .nioConcurrencyHelpers, .nioCore],
            path: "Tests/TestSupport", swiftSettings: swiftSettings),
        // In-process peers for tests: the dev IdP, kube-sim, and a cluster that may be real.
        .target(
            name: "TestFixtures",
            dependencies: ["Essentials", "ServiceKit", "Kubernetes", "DevIdPKit", "KubeSim", "TestSupport", .hummingbirdTesting, .prometheus],
            path: "Tests/Fixtures",
            swiftSettings: swiftSettings
        ),
        tests(
            "SharedTests",
            [
                "Essentials", "AccessPolicy", "ServiceKit", "Identity", "Access", "Kubernetes", "RexecWire", "DevIdPKit", "TestSupport",
                "TestFixtures", .hummingbirdTesting, .hummingbirdAuth, .asyncHTTPClient,
            ]),
        tests("AccessPolicyTests", ["AccessPolicy", "Access", "ServiceKit", "Essentials", "TestSupport", .logging, .metrics, .prometheus]),
        tests("ZeroMQTests", ["ZeroMQ"]),
        tests("BrokerTests", ["Broker", "ZeroMQ", "Essentials", "ServiceKit", "Identity", "BrokerWire", "TestSupport", .nioConcurrencyHelpers]),
        tests("KubeSimTests", ["KubeSim", "Essentials", "ServiceKit", "Kubernetes", "TestSupport", "TestFixtures", .hummingbirdTesting]),
        tests(
            "DeployAPITests",
            [
                "DeployAPI", "Essentials", "AccessPolicy", "ServiceKit", "Identity", "Access", "Kubernetes", "RexecWire", "KubeSim", "DevIdPKit",
                "BrokerWire", "TestSupport",
                "TestFixtures", .hummingbirdTesting, .serviceLifecycle, .zipFoundation,
            ]),
        tests(
            "EPGatewayTests",
            [
                "EPGateway", "Essentials", "AccessPolicy", "ServiceKit", "Identity", "Access", "RexecWire", "DevIdPKit", "TestSupport",
                "TestFixtures",
                .hummingbirdTesting, .asyncHTTPClient, .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        tests(
            "PodsBackendTests",
            [
                "PodsBackend", "Essentials", "AccessPolicy", "ServiceKit", "Identity", "Access", "Kubernetes", "KubeSim", "TestSupport",
                "TestFixtures",
                .hummingbirdTesting, .asyncHTTPClient, .httpTypes,
            ]),
        // The pages written from declarations (docs/configuration.md, the route tables): `make docs` writes them.
        tests(
            "DocumentationTests",
            [
                "Broker", "DeployAPI", "EPGateway", "PodsBackend", "KubeSim", "DevIdPKit", "ServiceKit", "Identity", "Access", "Kubernetes",
                "BrokerWire", "TestSupport", .prometheus, .logging,
            ]),
        // `make fuzz` runs these for longer (FUZZ_SECONDS); `make test` runs a bounded number.
        tests("FuzzTests", ["Essentials", "AccessPolicy", "DeployAPI", "Broker", "KubeSim", "TestSupport", "TestFixtures"]),
        tests(
            "ServiceTests",
            [
                "Essentials", "ServiceKit", "TestSupport", .asyncHTTPClient, .crypto, .nioCore, .nioHTTP1, .nioConcurrencyHelpers,
            ]),
    ]
)
