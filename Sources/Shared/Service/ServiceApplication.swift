import Hummingbird
import Logging
import NIOCore

public typealias ServiceResponder = RootPathResponder<RouterResponder<ServiceRequestContext>>

/// The router with the shared middleware stack and routes, in the order requests meet them:
/// correlation id → access log → metrics → CORS → errors → 405 → timeout → body limit → routes.
public func buildRouter(_ service: ServiceDefinition) -> Router<ServiceRequestContext> {
    let router = Router(context: ServiceRequestContext.self)
    router.add(middleware: CorrelationIDMiddleware())
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: CORSMiddleware(
        allowOrigin: service.settings.corsOrigin == "*" ? .originBased : .custom(service.settings.corsOrigin),
        allowHeaders: [.authorization, .contentType, .accept, CorrelationIDMiddleware.headerName],
        allowMethods: [.get, .post, .put, .patch, .delete, .options, .head],
        allowCredentials: true,
        exposedHeaders: [CorrelationIDMiddleware.headerName.canonicalName]
    ))
    router.add(middleware: ErrorMiddleware(style: service.errorStyle))
    let routeTable = MethodNotAllowedMiddleware<ServiceRequestContext>.RouteTable()
    router.add(middleware: MethodNotAllowedMiddleware(table: routeTable))
    router.add(middleware: RequestTimeoutMiddleware(timeout: service.settings.requestTimeout))
    router.add(middleware: BodyLimitMiddleware(maxBytes: service.settings.maxBodyBytes))

    HealthRoutes(checks: service.readinessChecks, lifecycle: service.lifecycle).register(on: router)
    MetricsRoute(registry: service.metricsRegistry).register(on: router)
    var document = service.openAPI
    document.operations += ServiceDefinition.standardOperations
    DocsRoutes(document: document, rootPath: service.settings.rootPaths.last).register(on: router)
    service.routes(router)
    routeTable.set(router.routes.map { ($0.path, $0.method) })
    return router
}

/// A runnable application for `service`: routes answer with and without the root path.
///
/// - Parameter onListening: called with the bound port (useful with port 0).
public func buildApplication(
    _ service: ServiceDefinition, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> Application<ServiceResponder> {
    let responder = RootPathResponder(base: buildRouter(service).buildResponder(), prefixes: service.settings.rootPaths)
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
