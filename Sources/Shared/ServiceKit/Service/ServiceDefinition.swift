import Hummingbird
import HummingbirdCore
import Logging
import Prometheus
import ServiceLifecycle

/// Everything that makes one of our HTTP services: its settings, its routes, its
/// dependencies' readiness checks and its documentation. ``buildApplication(_:logger:onListening:)``
/// turns it into a Hummingbird application with the shared conventions around the routes.
///
/// `Context` is the service's request context: ``BasicServiceRequestContext``, or one that
/// also carries an authenticated identity.
public struct ServiceDefinition<Context: ServiceRequestContext>: Sendable {
    public var name: String
    public var settings: HTTPServerSettings
    public var errorStyle: ErrorStyle
    public var openAPI: OpenAPIDocument
    public var readinessChecks: [ReadinessCheck]
    public var metricsRegistry: PrometheusCollectorRegistry
    public var lifecycle: LifecycleState
    /// Adds the service's own routes, each through an access group (typically by mounting
    /// `RouteCollection`s on them).
    public var routes: @Sendable (ServiceRoutes<Context>) -> Void
    /// Long-running companions (the broker's sockets, watchers…) run beside the server.
    public var services: [any Service]
    /// The HTTP server flavour: guarded HTTP/1 (``ConnectionGuards``) unless a service needs
    /// WebSocket upgrades (then `.http1WebSocketUpgradeQuiescing`, guarded too).
    public var server: HTTPServerBuilder
    /// Path prefixes of routes that stream their request bodies (S3 uploads, a proxy): they
    /// pass the body limit and the response-head timeout, and bound themselves instead.
    public var streamingPaths: [String] = []

    public init(
        name: String, context: Context.Type = Context.self, settings: HTTPServerSettings, errorStyle: ErrorStyle, openAPI: OpenAPIDocument,
        readinessChecks: [ReadinessCheck] = [], metricsRegistry: PrometheusCollectorRegistry, lifecycle: LifecycleState = LifecycleState(),
        services: [any Service] = [], routes: @escaping @Sendable (ServiceRoutes<Context>) -> Void
    ) {
        self.name = name
        self.settings = settings
        self.errorStyle = errorStyle
        self.openAPI = openAPI
        self.readinessChecks = readinessChecks
        self.metricsRegistry = metricsRegistry
        self.lifecycle = lifecycle
        self.services = services
        self.routes = routes
        self.server = .guardedHTTP1(headerTimeout: settings.headerTimeout)
    }
}

/// The operations every service shares.
public enum StandardOperations {
    public static let all: [OpenAPIDocument.Operation] = [
        .init(
            "GET", "/healthz", summary: "Liveness: the process answers.", tags: ["health"],
            responses: [200: .init("Alive", schema: OpenAPIDocument.object(["status": OpenAPIDocument.string]))]),
        .init(
            "GET", "/readyz", summary: "Readiness: dependencies answer.", tags: ["health"],
            responses: [200: .init("Ready", schema: OpenAPIDocument.anyObject), 503: .init("Not ready", schema: OpenAPIDocument.anyObject)]),
        .init(
            "GET", "/metrics", summary: "Prometheus metrics.", tags: ["health"],
            responses: [200: .init("Prometheus text format", schema: OpenAPIDocument.string, contentType: "text/plain")]),
        .init(
            "GET", "/openapi.json", summary: "This document.", tags: ["docs"],
            responses: [200: .init("OpenAPI 3.1", schema: OpenAPIDocument.anyObject)]),
        .init(
            "GET", "/docs", summary: "Human-readable API documentation.", tags: ["docs"],
            responses: [200: .init("HTML", schema: OpenAPIDocument.string, contentType: "text/html")]),
    ]
}
