import Foundation
import Identity
import ServiceKit

/// Everything the deploy API reads from its environment (upstream names where upstream had
/// the setting, `REXEC_*` for the rest; README's deploy API section lists them all).
struct DeploySettings: Sendable {
    enum RuntimeKind: String, CaseIterable, Sendable {
        case local, kubernetes
    }

    var auth: AuthSettings
    var access: AccessSettings
    var runtime: RuntimeKind
    var broker: BrokerSettings
    var lifecycle: LifecycleSettings
    var kubernetes: KubernetesRuntimeSettings
    var local: LocalRuntimeSettings
    /// The kbatch-compatible jobs API.
    var kbatch: KbatchSettings
    /// The folder holding the rexec server's Python package (`rexec_server/`).
    var serverSource: URL
    /// Seconds between a server's heartbeats to the broker.
    var heartbeatInterval: Int
    var swaggerTitle: String
    var swaggerDescription: String
    var swaggerVersion: String

    /// Where clients and servers find the broker.
    struct BrokerSettings: Sendable {
        /// `REXEC_BROKER_EXTERNAL_HOST` / `_PORT`: what `/broker-config` tells clients.
        var externalHost: String?
        var externalPort: Int?
        /// `REXEC_BROKER_EXTERNAL_SERVICE_NAME`: the NodePort Service read when the above are unset.
        var externalServiceName: String?
        /// `REXEC_BROKER_NAMESPACE`: namespace of both broker Services.
        var namespace: String
        /// `REXEC_BROKER_SERVICE_NAME`: the internal Service servers dial.
        var serviceName: String
        /// `REXEC_BROKER_PORT`: the broker's server port.
        var serverPort: Int
        /// `REXEC_BROKER_HOST`: the address local servers dial (local runtime).
        var host: String
        /// `REXEC_BROKER_STATUS_URL`: the broker's HTTP side port, for readiness and activity.
        var statusURL: URL?
        /// `REXEC_DEPLOYMENT_PUBLIC_URL`: this API's public base, returned as `api_url`.
        var publicURL: String?
    }

    struct LifecycleSettings: Sendable {
        /// `REXEC_SPAWN_WAIT_TIMEOUT_SECONDS`: how long `wait=true` waits for a ready server.
        var spawnWaitTimeout: Duration
        /// `REXEC_IDLE_TIMEOUT_SECONDS`: 0 keeps idle servers (upstream behaviour).
        var idleTimeout: Duration
        /// `REXEC_MAX_LIFETIME_SECONDS`: 0 means no limit.
        var maxLifetime: Duration
        /// `REXEC_REAPER_INTERVAL_SECONDS`.
        var reaperInterval: Duration

        var reaperEnabled: Bool { idleTimeout > .zero || maxLifetime > .zero }
    }

    static func load(from source: ConfigurationSource) throws -> DeploySettings {
        let runtime = try source.choice("REXEC_RUNTIME", default: RuntimeKind.local)
        return DeploySettings(
            auth: try AuthSettings.load(from: source),
            access: try AccessSettings.load(from: source),
            runtime: runtime,
            broker: BrokerSettings(
                externalHost: source.optionalString("REXEC_BROKER_EXTERNAL_HOST"),
                externalPort: try source.optionalString("REXEC_BROKER_EXTERNAL_PORT").map { _ in
                    try source.port("REXEC_BROKER_EXTERNAL_PORT", default: 0)
                },
                externalServiceName: source.optionalString("REXEC_BROKER_EXTERNAL_SERVICE_NAME")
                    ?? (runtime == .kubernetes ? "rexec-broker-external-ip" : nil),
                namespace: try dnsLabel(source, "REXEC_BROKER_NAMESPACE", default: "rexec-broker"),
                serviceName: try dnsLabel(source, "REXEC_BROKER_SERVICE_NAME", default: "rexec-broker-internal-ip"),
                serverPort: try source.port("REXEC_BROKER_PORT", default: 5560),
                host: source.string("REXEC_BROKER_HOST", default: "127.0.0.1"),
                statusURL: try source.optionalString("REXEC_BROKER_STATUS_URL").map { _ in try source.url("REXEC_BROKER_STATUS_URL", default: "") },
                publicURL: source.optionalString("REXEC_DEPLOYMENT_PUBLIC_URL")
            ),
            lifecycle: LifecycleSettings(
                spawnWaitTimeout: try source.seconds("REXEC_SPAWN_WAIT_TIMEOUT_SECONDS", default: 300, range: 1...3600),
                idleTimeout: try source.seconds("REXEC_IDLE_TIMEOUT_SECONDS", default: 0, range: 0...31_536_000),
                maxLifetime: try source.seconds("REXEC_MAX_LIFETIME_SECONDS", default: 0, range: 0...31_536_000),
                reaperInterval: try source.seconds("REXEC_REAPER_INTERVAL_SECONDS", default: 60, range: 0.1...86_400)
            ),
            kubernetes: try KubernetesRuntimeSettings.load(from: source),
            local: try LocalRuntimeSettings.load(from: source),
            kbatch: try KbatchSettings.load(from: source),
            serverSource: try serverSource(source),
            heartbeatInterval: try source.integer("REXEC_HEARTBEAT_INTERVAL", default: 30, range: 0...86_400),
            swaggerTitle: source.string("SWAGGER_TITLE", default: "R-Exec API"),
            swaggerDescription: source.string("SWAGGER_DESCRIPTION", default: "RESTful API for Remote Execution"),
            swaggerVersion: source.string("SWAGGER_VERSION", default: "0.1.0")
        )
    }

    static func dnsLabel(_ source: ConfigurationSource, _ name: String, default defaultValue: String) throws -> String {
        let value = source.optionalString(name) ?? defaultValue
        guard UserKey.isPlainLabel(value) else {
            throw ConfigurationError(variable: name, value: value, expected: "a DNS label (lower-case letters, digits, '-')")
        }
        return value
    }

    /// `REXEC_SERVER_SOURCE`, else `rexec-server` in the working directory or beside the
    /// checkout the binary was built in.
    static func serverSource(_ source: ConfigurationSource) throws -> URL {
        let candidates: [String]
        if let configured = source.optionalString("REXEC_SERVER_SOURCE") {
            candidates = [configured]
        } else {
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            candidates = [
                FileManager.default.currentDirectoryPath + "/rexec-server",
                binary.deletingLastPathComponent().appendingPathComponent("../../../rexec-server").standardized.path,
                "/opt/rexec-server",
            ]
        }
        for path in candidates where FileManager.default.fileExists(atPath: path + "/rexec_server/__main__.py") {
            return URL(fileURLWithPath: path).standardized
        }
        throw ConfigurationError(
            variable: "REXEC_SERVER_SOURCE", value: candidates.first ?? "",
            expected: "the folder that holds the rexec server package (rexec_server/__main__.py)"
        )
    }
}
