import Foundation
import Identity
import Kubernetes
import Logging
import Prometheus
import ServiceKit

/// The composition root: the routing loop with its token validation, and the HTTP side
/// port (health, metrics, server states) around it. Tests call it with their own settings.
enum RexecBroker {
    static let binary = ServiceBinary<BasicServiceRequestContext>(
        name: "rexec-broker", summary: "ZeroMQ router between rexec clients and per-user rexec servers.",
        listener: HTTPServerSettings.Declarations(defaultPort: 9090, portFlags: ["port", "http-port"]),
        settings: [BrokerSettings.settings, AuthSettings.settings, AccessSettings.settings]
    ) { launch in
        try definition(source: launch.source, http: launch.http, logger: launch.logger, metricsRegistry: launch.metricsRegistry)
    }

    static func definition(
        source: ConfigurationSource, http: HTTPServerSettings, logger: Logger, metricsRegistry: PrometheusCollectorRegistry
    ) throws -> ServiceDefinition<BasicServiceRequestContext> {
        let auth = try AuthSettings.load(from: source)
        let settings = try BrokerSettings.load(from: source, auth: auth)
        let provider = CachingIdentityProvider.live(settings: auth, logger: logger)
        let curveKey = try BrokerCurveKey.load(path: settings.curveKeyFile)
        let serverKeys = try serverKeys(settings, logger: logger)
        let loop: RoutingLoop
        do {
            loop = try RoutingLoop(
                settings: settings, curveKey: curveKey.pair, serverKeys: serverKeys,
                validator: TokenValidator(provider: provider, gate: GroupGate(settings: try AccessSettings.load(from: source))),
                metrics: BrokerMetrics(registry: metricsRegistry), logger: logger
            )
        } catch {
            throw ConfigurationError(
                variable: "CLIENT_PORT/SERVER_PORT/CONTROL_PORT",
                value: "\(settings.clientEndpoint) \(settings.serverEndpoint) \(settings.controlEndpoint)",
                expected: "addresses the broker can listen on (\(error))"
            )
        }
        logger.notice(
            "zeromq listening",
            metadata: [
                "client": "\(loop.endpoints.client)", "server": "\(loop.endpoints.server)", "control": "\(loop.endpoints.control)",
                "terminate": "\(settings.controlSecret == nil ? "disabled (no control secret)" : "needs the control secret")",
            ])
        logger.notice(
            "rexec servers must authenticate with CURVE",
            metadata: [
                "broker_public_key": "\(curveKey.pair.publicKey)", "broker_key": "\(curveKey.origin)",
                "server_keys": "\(serverKeys.sourceDescription)",
            ])
        if curveKey.ephemeral {
            logger.warning(
                "REXEC_BROKER_CURVE_KEY_FILE is not set: this key lasts as long as the process, so servers cannot reconnect after a restart")
        }
        if serverKeys is NoServerKeys {
            logger.warning("no server key source (REXEC_BROKER_SERVER_KEYS_DIR or REXEC_BROKER_SERVER_KEYS_KUBERNETES): no server can authenticate")
        }
        if let plain = loop.endpoints.unauthenticatedServer {
            logger.critical(
                "UNAUTHENTICATED SERVERS ARE ALLOWED: a server connecting here is trusted with any identity it states, so whoever reaches this port can read and answer the calls of users whose servers do not authenticate",
                metadata: ["unauthenticated_server": "\(plain)"])
        }
        return ServiceDefinition(
            name: "rexec-broker", context: BasicServiceRequestContext.self, settings: http, errorStyle: .detail,
            openAPI: OpenAPIDocument(
                title: "rexec-broker", version: "0.1.0", description: "Broker health, metrics and server states; the broker itself speaks ZeroMQ."),
            // Not the IdP: a broker taken out of its Service while the IdP is down would
            // also cut off the users whose tokens it still honours.
            readinessChecks: [
                ReadinessCheck(name: "router") {
                    guard loop.isRunning else { throw RouterNotRunning() }
                }
            ],
            metricsRegistry: metricsRegistry,
            services: [BrokerService(loop: loop, logger: logger)] + ((serverKeys as? KubernetesServerKeys).map { [$0] } ?? []),
            routes: ServerStatusRoutes(loop: loop, curveKey: curveKey.pair.publicKey).routes
        )
    }
}

extension RexecBroker {
    /// Where the broker learns which key each user's server holds.
    static func serverKeys(_ settings: BrokerSettings, logger: Logger) throws -> any ServerKeys {
        if settings.serverKeysFromKubernetes {
            do {
                return KubernetesServerKeys(client: KubernetesClient(configuration: try .automatic(), logger: logger))
            } catch {
                throw ConfigurationError(
                    variable: "REXEC_BROKER_SERVER_KEYS_KUBERNETES", value: "true",
                    expected: "a reachable Kubernetes API (in a pod, or KUBECONFIG): \(error)")
            }
        }
        if let directory = settings.serverKeysDirectory {
            do {
                return try DirectoryServerKeys(directory: URL(fileURLWithPath: directory), logger: logger)
            } catch {
                throw ConfigurationError(
                    variable: "REXEC_BROKER_SERVER_KEYS_DIR", value: directory, expected: "a directory only its owner can write (\(error))")
            }
        }
        return NoServerKeys()
    }
}

struct RouterNotRunning: Error, CustomStringConvertible {
    var description: String { "the routing thread is not running" }
}
