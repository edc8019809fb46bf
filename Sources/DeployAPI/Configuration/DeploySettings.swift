import BrokerWire
import Foundation
import Identity
import ServiceKit

/// Everything the deploy API reads from its environment (upstream names where upstream had
/// the setting, `REXEC_*` for the rest; docs/configuration.md lists them all).
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
        /// `REXEC_BROKER_CURVE_PUBLIC_KEY`: the broker's CURVE public key servers are given.
        var curvePublicKey: String? = nil
        /// `REXEC_BROKER_CURVE_KEY_FILE`: the broker's key file, to read its public key from.
        var curveKeyFile: String? = nil
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

    // MARK: Declarations

    static let runtime = Setting<RuntimeKind>.choice(
        "REXEC_RUNTIME", default: .local, help: "Where servers and kbatch jobs run: local (child processes) or kubernetes."
    ).flag("runtime")
    static let brokerExternalHost = Setting<String?>.optionalText(
        "REXEC_BROKER_EXTERNAL_HOST", help: "The broker host /broker-config tells clients; unset: the first node's address.")
    static let brokerExternalPort = Setting<Int?>.optionalPort(
        "REXEC_BROKER_EXTERNAL_PORT", help: "The broker port /broker-config tells clients; unset: the NodePort of the external Service.")
    static let brokerExternalServiceName = Setting<String?>.optionalText(
        "REXEC_BROKER_EXTERNAL_SERVICE_NAME", help: "The NodePort Service read for the broker's external port.",
        default: "rexec-broker-external-ip on kubernetes, none on local")
    static let brokerNamespace = dnsLabel("REXEC_BROKER_NAMESPACE", default: "rexec-broker", help: "Namespace of both broker Services.")
    static let brokerServiceName = dnsLabel(
        "REXEC_BROKER_SERVICE_NAME", default: "rexec-broker-internal-ip", help: "The internal broker Service servers dial.")
    static let brokerPort = Setting<Int>.port("REXEC_BROKER_PORT", default: 5560, help: "The broker's server port servers dial.")
    static let brokerHost = Setting<String>.text("REXEC_BROKER_HOST", default: "127.0.0.1", help: "The broker address local servers dial.")
    static let brokerStatusURL = Setting<URL?>.optionalURL(
        "REXEC_BROKER_STATUS_URL",
        help: "The broker's HTTP side port: wait=true then waits for the server's connection, /status and the reaper see its activity.")
    static let publicURL = Setting<String?>.optionalText(
        "REXEC_DEPLOYMENT_PUBLIC_URL", help: "This API's public base; /broker-config then returns api_url = it + /spawn.")
    static let brokerCurvePublicKey = Setting<String?>.optionalText(
        "REXEC_BROKER_CURVE_PUBLIC_KEY", help: "The broker's CURVE public key (Z85) servers are given; wins over the key file and the side port.",
        accepts: "Z85 key"
    ) { CurveKeyPair.isKey($0) ? nil : "a Z85 CURVE public key (40 characters)" }
    static let brokerCurveKeyFile = Setting<String?>.optionalText(
        "REXEC_BROKER_CURVE_KEY_FILE",
        help:
            "The broker's key file (its secret key or public certificate) to take the broker's public key from; unset: asked from REXEC_BROKER_STATUS_URL.",
        accepts: "file path")
    static let spawnWaitTimeout = Setting<Duration>.seconds(
        "REXEC_SPAWN_WAIT_TIMEOUT_SECONDS", default: 300, range: 1...3600, help: "How long a wait=true spawn waits for a ready server.")
    static let idleTimeout = Setting<Duration>.seconds(
        "REXEC_IDLE_TIMEOUT_SECONDS", default: 0, range: 0...31_536_000, help: "The reaper removes servers without a call for this long; 0: never.")
    static let maxLifetime = Setting<Duration>.seconds(
        "REXEC_MAX_LIFETIME_SECONDS", default: 0, range: 0...31_536_000, help: "The reaper removes servers older than this; 0: never.")
    static let reaperInterval = Setting<Duration>.seconds(
        "REXEC_REAPER_INTERVAL_SECONDS", default: 60, range: 0.1...86_400, help: "How often the reaper looks.")
    static let heartbeatInterval = Setting<Int>.integer(
        "REXEC_HEARTBEAT_INTERVAL", default: 30, range: 0...86_400, help: "Seconds between a server's heartbeats to the broker.")
    static let serverSourceFolder = Setting<String?>.optionalText(
        "REXEC_SERVER_SOURCE", help: "The folder holding the rexec server package (rexec_server/__main__.py) shipped to servers.",
        accepts: "folder path", default: "./rexec-server, then beside the checkout the binary was built in, then /opt/rexec-server")
    static let swaggerTitle = Setting<String>.text("SWAGGER_TITLE", default: "R-Exec API", help: "The OpenAPI document's title.")
    static let swaggerDescription = Setting<String>.text(
        "SWAGGER_DESCRIPTION", default: "RESTful API for Remote Execution", help: "The OpenAPI document's description.")
    static let swaggerVersion = Setting<String>.text("SWAGGER_VERSION", default: "0.1.0", help: "The OpenAPI document's version.")

    static let settings = SettingGroup(
        "Servers and the broker",
        [
            runtime, brokerExternalHost, brokerExternalPort, brokerExternalServiceName, brokerNamespace, brokerServiceName, brokerPort,
            brokerHost, brokerStatusURL, publicURL, brokerCurvePublicKey, brokerCurveKeyFile, spawnWaitTimeout, idleTimeout, maxLifetime,
            reaperInterval, heartbeatInterval,
            serverSourceFolder, swaggerTitle, swaggerDescription, swaggerVersion,
        ])

    static func load(from source: ConfigurationSource) throws -> DeploySettings {
        let runtime = try source.value(Self.runtime)
        return DeploySettings(
            auth: try AuthSettings.load(from: source),
            access: try AccessSettings.load(from: source),
            runtime: runtime,
            broker: BrokerSettings(
                externalHost: try source.value(brokerExternalHost),
                externalPort: try source.value(brokerExternalPort),
                externalServiceName: try source.value(brokerExternalServiceName) ?? (runtime == .kubernetes ? "rexec-broker-external-ip" : nil),
                namespace: try source.value(brokerNamespace),
                serviceName: try source.value(brokerServiceName),
                serverPort: try source.value(brokerPort),
                host: try source.value(brokerHost),
                statusURL: try source.value(brokerStatusURL),
                publicURL: try source.value(publicURL),
                curvePublicKey: try source.value(brokerCurvePublicKey),
                curveKeyFile: try source.value(brokerCurveKeyFile)
            ),
            lifecycle: LifecycleSettings(
                spawnWaitTimeout: try source.value(spawnWaitTimeout),
                idleTimeout: try source.value(idleTimeout),
                maxLifetime: try source.value(maxLifetime),
                reaperInterval: try source.value(reaperInterval)
            ),
            kubernetes: try KubernetesRuntimeSettings.load(from: source),
            local: try LocalRuntimeSettings.load(from: source),
            kbatch: try KbatchSettings.load(from: source),
            serverSource: try serverSource(source),
            heartbeatInterval: try source.value(heartbeatInterval),
            swaggerTitle: try source.value(swaggerTitle),
            swaggerDescription: try source.value(swaggerDescription),
            swaggerVersion: try source.value(swaggerVersion)
        )
    }

    /// A DNS label (lower-case letters, digits, '-').
    static func dnsLabel(_ name: String, default value: String, help: String) -> Setting<String> {
        .text(name, default: value, accepts: "DNS label", help: help) {
            UserKey.isPlainLabel($0) ? nil : "a DNS label (lower-case letters, digits, '-')"
        }
    }

    /// `REXEC_SERVER_SOURCE`, else `rexec-server` in the working directory or beside the
    /// checkout the binary was built in.
    static func serverSource(_ source: ConfigurationSource) throws -> URL {
        let candidates: [String]
        if let configured = try source.value(serverSourceFolder) {
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
