import HTTPTypes
import Hummingbird

/// What a service's route-building closure gets: not the router itself, but groups that
/// each carry one ``AccessLevel`` (for most routes, an access-policy binding) and the
/// middleware enforcing it. Every route therefore states who may call it, and
/// ``RouteAccessTable`` remembers the answer for tests and docs.
public struct ServiceRoutes<Context: ServiceRequestContext> {
    let router: Router<Context>
    public let table: RouteAccessTable

    init(router: Router<Context>, table: RouteAccessTable) {
        self.router = router
        self.table = table
    }

    /// Routes anyone may call.
    public var open: AccessGroup<Context> { group(.open) }

    /// A group for routes with `level`; `middleware` (run in order, before the handler)
    /// must enforce it.
    public func group(_ level: AccessLevel, middleware: [any MiddlewareProtocol<Request, Response, Context>] = []) -> AccessGroup<Context> {
        let group = router.group()
        for item in middleware { group.add(middleware: item) }
        return AccessGroup(level: level, table: table, group: group)
    }

    /// A group guarded by `guard`; `before` runs ahead of its middleware (checks that must
    /// answer before the credential is asked for, as upstream's did).
    public func group(_ guard: RouteGuard<Context>, before: [any MiddlewareProtocol<Request, Response, Context>] = []) -> AccessGroup<Context> {
        group(`guard`.level, middleware: before + `guard`.middleware)
    }
}

/// Routes that share one access level: Hummingbird's `RouterMethods`, so `get`, `post` and
/// `addRoutes(_:)` work as on a router, and each route is recorded in the table.
public struct AccessGroup<Context: RequestContext>: RouterMethods {
    public let level: AccessLevel
    let table: RouteAccessTable
    let group: RouterGroup<Context>

    @discardableResult
    public func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        table.record(method: method, path: path, level: level)
        group.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    public func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        group.add(middleware: middleware)
        return self
    }
}
