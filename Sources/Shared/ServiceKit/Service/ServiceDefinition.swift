import Hummingbird
import HummingbirdCore
import Logging
import Prometheus
import ServiceLifecycle

/// Everything that makes one of our HTTP services: its settings, its routes (each declared
/// once, ``Route``), how its callers' access is enforced, its dependencies' readiness checks
/// and its long-running companions. ``buildApplication(_:logger:onListening:)`` turns it into
/// a Hummingbird application with the shared conventions around the routes.
///
/// `Context` is the service's request context: ``BasicServiceRequestContext``, or one that
/// also carries an authenticated identity.
public struct ServiceDefinition<Context: ServiceRequestContext>: Sendable {
    public var name: String
    public var settings: HTTPServerSettings
    public var errorStyle: ErrorStyle
    /// The OpenAPI document's title, version and description; its operations are the routes'.
    public var openAPI: OpenAPIDocument
    public var readinessChecks: [ReadinessCheck]
    public var metricsRegistry: PrometheusCollectorRegistry
    public var lifecycle: LifecycleState
    /// The service's own routes; the shared ones (health, metrics, docs) are added to them.
    public var routes: [Route<Context>]
    /// The middleware that enforces a route's access (the service's kind of caller).
    public var guards: @Sendable (Context.Access) -> [any MiddlewareProtocol<Request, Response, Context>]
    /// Long-running companions (the broker's sockets, watchers…) run beside the server.
    public var services: [any Service]
    /// The HTTP server flavour: guarded HTTP/1 (``ConnectionGuards``) unless a service needs
    /// WebSocket upgrades (then `.http1WebSocketUpgradeQuiescing`, guarded too).
    public var server: HTTPServerBuilder
    /// Bound to the router once it is built, for features that call the service's own routes.
    public var inProcess: InProcessCalls<Context>?

    /// - Parameters:
    ///   - features: the service's capabilities; their routes, readiness checks and services come
    ///     after the ones given directly.
    public init(
        name: String, context: Context.Type = Context.self, settings: HTTPServerSettings, errorStyle: ErrorStyle, openAPI: OpenAPIDocument,
        readinessChecks: [ReadinessCheck] = [], metricsRegistry: PrometheusCollectorRegistry, lifecycle: LifecycleState = LifecycleState(),
        services: [any Service] = [], routes: [Route<Context>] = [], features: [any ServiceFeature<Context>] = [],
        guards: @escaping @Sendable (Context.Access) -> [any MiddlewareProtocol<Request, Response, Context>] = { _ in [] }
    ) {
        self.name = name
        self.settings = settings
        self.errorStyle = errorStyle
        self.openAPI = openAPI
        var (checks, background, declared) = (readinessChecks, services, routes)
        for feature in features {
            checks += feature.readinessChecks
            background += feature.services
            declared += feature.routes
        }
        self.readinessChecks = checks
        self.metricsRegistry = metricsRegistry
        self.lifecycle = lifecycle
        self.services = background
        self.routes = declared
        self.guards = guards
        self.server = .guardedHTTP1(headerTimeout: settings.headerTimeout)
    }

    /// Every route the service answers: its own, then the shared ones (`/healthz`, `/readyz`,
    /// `/metrics`, `/openapi.json`, `/docs`).
    public var allRoutes: [Route<Context>] {
        routes + sharedRoutes(document: document(of: routes + sharedRoutes(document: openAPI)))
    }

    /// The OpenAPI document of every route.
    public var document: OpenAPIDocument {
        document(of: routes + sharedRoutes(document: openAPI))
    }

    private func sharedRoutes(document: OpenAPIDocument) -> [Route<Context>] {
        HealthRoutes<Context>(checks: readinessChecks, lifecycle: lifecycle).routes + [MetricsRoute<Context>(registry: metricsRegistry).route]
            + DocsRoutes<Context>(document: document, rootPath: settings.rootPaths.last).routes
    }

    /// The routes' operations, with the answers their access implies (401, 403).
    private func document(of routes: [Route<Context>]) -> OpenAPIDocument {
        var document = openAPI
        document.operations = routes.map { route in
            var operation = route.operation
            if route.access.mayNeedCredential, operation.responses[401] == nil {
                operation.responses[401] = .init("Missing or invalid credential", schema: OpenAPIDocument.errorDetail)
            }
            if route.access.isPolicyBound, operation.responses[502] == nil {
                operation.responses[502] = .init("The identity provider failed", schema: OpenAPIDocument.errorDetail)
            }
            if route.access.isPolicyBound, operation.responses[403] == nil {
                operation.responses[403] = .init("Refused by the access policy (\(route.access))", schema: OpenAPIDocument.errorDetail)
            }
            return operation
        }
        return document
    }
}
