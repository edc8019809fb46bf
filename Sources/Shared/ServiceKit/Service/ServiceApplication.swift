import HTTPTypes
import Hummingbird
import Logging
import NIOCore

public typealias ServiceResponder<Context: ServiceRequestContext> = RootPathResponder<RouterResponder<Context>>

/// The router with the shared middleware stack and every route, in the order requests meet
/// them: correlation id → access log → metrics → CORS → errors → 405 → timeout → body limit →
/// the route's own: what answers before its access check → its access → the handler. Routes
/// that stream their request bodies (``Route/streamsBody``) pass the body limit, and the
/// timeout bounds the gaps in their bodies instead.
public func buildRouter<Context>(_ service: ServiceDefinition<Context>) -> Router<Context> {
    let router = Router(context: Context.self)
    router.add(middleware: CorrelationIDMiddleware<Context>())
    router.add(middleware: AccessLogMiddleware<Context>())
    router.add(middleware: MetricsMiddleware<Context>())
    router.add(
        middleware: CORSMiddleware<Context>(
            allowOrigin: service.settings.corsOrigin == "*" ? .originBased : .custom(service.settings.corsOrigin),
            // The MCP transport's two headers too, so a browser-based MCP client can keep its session.
            allowHeaders: [.authorization, .contentType, .accept, CorrelationIDHeader.name, .mcpSessionID, .mcpProtocolVersion],
            allowMethods: [.get, .post, .put, .patch, .delete, .options, .head],
            allowCredentials: true,
            exposedHeaders: [CorrelationIDHeader.name.canonicalName, HTTPField.Name.mcpSessionID.canonicalName]
        ))
    router.add(middleware: ErrorMiddleware<Context>(style: service.errorStyle))
    let methodTable = MethodNotAllowedMiddleware<Context>.RouteTable()
    router.add(middleware: MethodNotAllowedMiddleware<Context>(table: methodTable))
    let routes = service.allRoutes
    let streaming = StreamingPaths(routes: routes)
    router.add(middleware: RequestTimeoutMiddleware<Context>(timeout: service.settings.requestTimeout, exempt: streaming))
    router.add(middleware: BodyLimitMiddleware<Context>(maxBytes: service.settings.maxBodyBytes, exempt: streaming))
    for route in routes {
        let group = router.group()
        for middleware in route.before + service.guards(route.access) { group.add(middleware: middleware) }
        group.on(RouterPath(route.path), method: route.method, responder: RouteResponder(route: route))
    }
    methodTable.set(router.routes.map { ($0.path, $0.method) })
    return router
}

extension StreamingPaths {
    /// The paths of the routes that stream: each route's path up to its first parameter
    /// (`/s3/objects/` for `/s3/objects/{bucket}`), as the request-wide middleware sees paths
    /// before routing.
    init<Context>(routes: [Route<Context>]) {
        let prefixes = routes.filter(\.streamsBody).map { route in
            String(route.path.prefix { $0 != "{" && $0 != "*" })
        }
        self.init(prefixes: Array(Set(prefixes)).sorted())
    }
}

/// A declared route as the router calls it.
struct RouteResponder<Context: ServiceRequestContext>: HTTPResponder {
    let route: Route<Context>

    func respond(to request: Request, context: Context) async throws -> Response {
        try await route.respond(to: request, context: context)
    }
}

/// A runnable application for `service`: routes answer with and without the root path.
///
/// - Parameter onListening: called with the bound port (useful with port 0).
public func buildApplication<Context>(
    _ service: ServiceDefinition<Context>, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> Application<ServiceResponder<Context>> {
    let router = buildRouter(service).buildResponder()
    service.inProcess?.bind(responder: router, routes: service.allRoutes)
    let responder = RootPathResponder(base: router, prefixes: service.settings.rootPaths)
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

extension HTTPField.Name {
    /// MCP's Streamable HTTP transport: the session a request belongs to.
    public static let mcpSessionID = Self("Mcp-Session-Id")!
    /// MCP's Streamable HTTP transport: the protocol revision the client speaks.
    public static let mcpProtocolVersion = Self("MCP-Protocol-Version")!
}
