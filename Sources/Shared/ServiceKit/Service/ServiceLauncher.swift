import AccessPolicy
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// What a service's `make` closure gets to build its ``ServiceDefinition`` from.
public struct LaunchContext: Sendable {
    public let source: ConfigurationSource
    public let http: HTTPServerSettings
    public let logger: Logger
    public let metricsRegistry: PrometheusCollectorRegistry
}

/// How a service describes its HTTP side to the launcher.
public struct LaunchSpec: Sendable {
    public var name: String
    public var defaultPort: Int
    /// Upstream names of the root-path variable, first wins.
    public var rootPathVariables: [String]
    /// Extra prefixes derived from the root path (the EP also answers under `{root}/api`).
    public var extraRootPaths: @Sendable (String) -> [String]

    public init(
        name: String, defaultPort: Int, rootPathVariables: [String] = ["ROOT_PATH"],
        extraRootPaths: @escaping @Sendable (String) -> [String] = { _ in [] }
    ) {
        self.name = name
        self.defaultPort = defaultPort
        self.rootPathVariables = rootPathVariables
        self.extraRootPaths = extraRootPaths
    }
}

/// Start-up shared by every executable: configuration (flags > env > `.env`), logging,
/// metrics, then serve until SIGTERM or SIGINT, draining gracefully.
///
/// Invalid configuration ends the process with exit code 78 (EX_CONFIG) and one line on
/// standard error naming the variable and what it accepts.
public enum ServiceLauncher {
    public static let configurationExitCode: Int32 = 78

    public static func run<Context>(
        _ spec: LaunchSpec, context: Context.Type = Context.self, options: CommonOptions, extraOverrides: [String: String] = [:],
        make: (LaunchContext) async throws -> ServiceDefinition<Context>
    ) async throws {
        let source: ConfigurationSource
        let http: HTTPServerSettings
        do {
            source = try options.configurationSource(rootPathVariable: spec.rootPathVariables[0], extraOverrides: extraOverrides)
            http = try HTTPServerSettings.load(
                from: source, defaultPort: spec.defaultPort, rootPathVariables: spec.rootPathVariables, extraRootPaths: spec.extraRootPaths
            )
        } catch {
            try exitForConfiguration(error, service: spec.name)
        }
        ObservabilityBootstrap.logging(format: http.logFormat, level: http.logLevel)
        let registry = ObservabilityBootstrap.metrics()
        var logger = Logger(label: spec.name)
        logger.logLevel = http.logLevel

        let service: ServiceDefinition<Context>
        do {
            service = try await make(LaunchContext(source: source, http: http, logger: logger, metricsRegistry: registry))
        } catch {
            try exitForConfiguration(error, service: spec.name)
        }
        let app = buildApplication(service, logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.notice("stopped", metadata: ["service": "\(spec.name)"])
    }

    /// A ``StartupFailure`` gets one line and EX_CONFIG; anything else propagates.
    public static func exitForConfiguration(_ error: any Error, service: String) throws -> Never {
        guard let failure = error as? any StartupFailure else { throw error }
        FileHandle.standardError.write(Data("\(service): \(failure.kind): \(failure)\n".utf8))
        throw ExitCode(configurationExitCode)
    }
}

/// What stops a service before it serves: its description is the one line printed, after the
/// service's name and ``kind`` (`ndp-ep-api: configuration error: invalid value …`).
public protocol StartupFailure: Error, CustomStringConvertible {
    var kind: String { get }
}

extension ConfigurationError: StartupFailure {
    public var kind: String { "configuration error" }
}

extension DotEnvFile.ParseError: StartupFailure {
    public var kind: String { "configuration error" }
}

extension PolicyError: StartupFailure {
    public var kind: String { "access policy error" }
}
