import Identity
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
        let loop: RoutingLoop
        do {
            loop = try RoutingLoop(
                settings: settings,
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
            services: [BrokerService(loop: loop, logger: logger)],
            routes: ServerStatusRoutes(loop: loop).routes
        )
    }
}

struct RouterNotRunning: Error, CustomStringConvertible {
    var description: String { "the routing thread is not running" }
}
