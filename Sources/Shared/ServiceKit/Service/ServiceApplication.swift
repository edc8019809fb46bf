import Hummingbird
import Logging
import NIOCore

public typealias ServiceResponder<Context: ServiceRequestContext> = RootPathResponder<RouterResponder<Context>>

/// A service's router and the access level each of its routes was added with.
public struct ServiceRouter<Context: ServiceRequestContext> {
    public let router: Router<Context>
    public let access: RouteAccessTable

    /// `METHOD /path` of every route the router has but no access group recorded: empty,
    /// unless something added routes around ``ServiceRoutes``.
    public var routesWithoutAccessLevel: [String] {
        router.routes.compactMap { route in
            access.level(method: route.method, path: route.path) == nil ? "\(route.method.rawValue) \(route.path)" : nil
        }
    }
}

/// The router with the shared middleware stack and routes, in the order requests meet them:
/// correlation id → access log → metrics → CORS → errors → 405 → timeout → body limit →
/// the route group's access middleware → the handler.
public func buildRouter<Context>(_ service: ServiceDefinition<Context>) -> ServiceRouter<Context> {
    let router = Router(context: Context.self)
    router.add(middleware: CorrelationIDMiddleware<Context>())
    router.add(middleware: AccessLogMiddleware<Context>())
    router.add(middleware: MetricsMiddleware<Context>())
    router.add(
        middleware: CORSMiddleware<Context>(
            allowOrigin: service.settings.corsOrigin == "*" ? .originBased : .custom(service.settings.corsOrigin),
            allowHeaders: [.authorization, .contentType, .accept, CorrelationIDHeader.name],
            allowMethods: [.get, .post, .put, .patch, .delete, .options, .head],
            allowCredentials: true,
            exposedHeaders: [CorrelationIDHeader.name.canonicalName]
        ))
    router.add(middleware: ErrorMiddleware<Context>(style: service.errorStyle))
    let methodTable = MethodNotAllowedMiddleware<Context>.RouteTable()
    router.add(middleware: MethodNotAllowedMiddleware<Context>(table: methodTable))
    let streaming = StreamingPaths(prefixes: service.streamingPaths)
    router.add(middleware: RequestTimeoutMiddleware<Context>(timeout: service.settings.requestTimeout, exempt: streaming))
    router.add(middleware: BodyLimitMiddleware<Context>(maxBytes: service.settings.maxBodyBytes, exempt: streaming))

    let routes = ServiceRoutes(router: router, table: RouteAccessTable())
    HealthRoutes<Context>(checks: service.readinessChecks, lifecycle: service.lifecycle).register(on: routes.open)
    MetricsRoute<Context>(registry: service.metricsRegistry).register(on: routes.open)
    var document = service.openAPI
    document.operations += StandardOperations.all
    DocsRoutes<Context>(document: document, rootPath: service.settings.rootPaths.last).register(on: routes.open)
    service.routes(routes)
    methodTable.set(router.routes.map { ($0.path, $0.method) })
    let built = ServiceRouter(router: router, access: routes.table)
    // A route nobody said who may call is a hole in the service; refuse to start with one.
    precondition(built.routesWithoutAccessLevel.isEmpty, "\(service.name): routes without an access level: \(built.routesWithoutAccessLevel)")
    return built
}

/// A runnable application for `service`: routes answer with and without the root path.
///
/// - Parameter onListening: called with the bound port (useful with port 0).
public func buildApplication<Context>(
    _ service: ServiceDefinition<Context>, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> Application<ServiceResponder<Context>> {
    let responder = RootPathResponder(base: buildRouter(service).router.buildResponder(), prefixes: service.settings.rootPaths)
    let settings = service.settings
    return Application(
        responder: responder,
        server: service.server,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: service.name),
        services: service.services,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? settings.port
            logger.notice("listening on http://\(settings.host):\(port)", metadata: ["service": "\(service.name)"])
            await onListening(port)
        },
        logger: logger
    )
}
