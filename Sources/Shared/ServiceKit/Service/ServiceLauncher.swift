import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// What a binary's `build` gets to make its ``ServiceDefinition`` from.
public struct LaunchContext: Sendable {
    public let source: ConfigurationSource
    public let http: HTTPServerSettings
    public let logger: Logger
    public let metricsRegistry: PrometheusCollectorRegistry

    public init(source: ConfigurationSource, http: HTTPServerSettings, logger: Logger, metricsRegistry: PrometheusCollectorRegistry) {
        self.source = source
        self.http = http
        self.logger = logger
        self.metricsRegistry = metricsRegistry
    }
}

/// Start-up shared by every executable: configuration (flags > environment > `.env`),
/// logging, metrics, then serve until SIGTERM or SIGINT, draining gracefully.
///
/// Invalid configuration ends the process with exit code 78 (EX_CONFIG) and one line on
/// standard error naming the variable and what it accepts.
public enum ServiceLauncher {
    public static let configurationExitCode: Int32 = 78

    /// Runs `binary` with the flags it was given (`arguments`, the ones ArgumentParser left)
    /// and `extraOverrides` (values a binary's own flags stand for, keyed by variable).
    public static func run<Context>(_ binary: ServiceBinary<Context>, arguments: [String], extraOverrides: [String: String] = [:]) async throws {
        let source: ConfigurationSource
        let http: HTTPServerSettings
        do {
            source = try configurationSource(binary, arguments: arguments, extraOverrides: extraOverrides)
            http = try binary.listener.load(from: source)
        } catch let error as SettingFlags.Unrecognized {
            throw ValidationError(error.description)
        } catch {
            try exitForConfiguration(error, service: binary.name)
        }
        ObservabilityBootstrap.logging(format: http.logFormat, level: http.logLevel)
        let registry = ObservabilityBootstrap.metrics()
        var logger = Logger(label: binary.name)
        logger.logLevel = http.logLevel

        let service: ServiceDefinition<Context>
        do {
            service = try await binary.build(LaunchContext(source: source, http: http, logger: logger, metricsRegistry: registry))
        } catch {
            try exitForConfiguration(error, service: binary.name)
        }
        let app = buildApplication(service, logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.notice("stopped", metadata: ["service": "\(binary.name)"])
    }

    /// Flags over the environment over the `.env` file (`--env-file` / `ENV_FILE`).
    public static func configurationSource<Context>(
        _ binary: ServiceBinary<Context>, arguments: [String], extraOverrides: [String: String] = [:]
    ) throws -> ConfigurationSource {
        let overrides = try SettingFlags(binary.allSettings).overrides(arguments).merging(extraOverrides) { _, extra in extra }
        let plain = ConfigurationSource(overrides: overrides)
        return try ConfigurationSource.load(overrides: overrides, dotEnvPath: try plain.value(LaunchSettings.envFile))
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
