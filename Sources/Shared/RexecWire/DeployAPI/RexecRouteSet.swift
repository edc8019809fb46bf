import Access
import AccessPolicy
import Essentials
import Hummingbird
import Identity
import ServiceKit

/// The rexec routes, declared once for both services that serve them: the deploy API (at its
/// root) and the EP (under `/rexec`, delegating to the deploy API). Same paths, bindings,
/// token places and answers on both; only the handlers differ.
///
/// Spawn, terminate and status are `rexec` create, delete and read of the caller's own
/// server; scidx-rexec sends its token in the form (and upstream's terminate read it from the
/// query too). `/broker-config` is the public `rexec` read.
public struct RexecRouteSet<Context: ServiceRequestContext> where Context.Access == PolicyAccess {
    public typealias Handler = @Sendable (Request, Context) async throws -> Response

    /// `""` on the deploy API, `/rexec` on the EP.
    public var prefix: String
    /// What answers 403, in words (the default policy's rule).
    public var forbidden: String
    /// Answers the serving service adds (the EP's 502 and 504 from the deploy API).
    public var extraResponses: [Int: String] = [:]
    /// What checks a spawn before its token (the deploy API validates the form first, as FastAPI).
    public var beforeSpawn: [any MiddlewareProtocol<Request, Response, Context>] = []
    public var spawn: Handler
    public var terminate: Handler
    public var status: Handler
    public var brokerConfig: Handler

    public init(
        prefix: String, forbidden: String, spawn: @escaping Handler, terminate: @escaping Handler, status: @escaping Handler,
        brokerConfig: @escaping Handler
    ) {
        self.prefix = prefix
        self.forbidden = forbidden
        self.spawn = spawn
        self.terminate = terminate
        self.status = status
        self.brokerConfig = brokerConfig
    }

    public static var spawnAccess: PolicyAccess { .policy(.rexec, .create, .callersOwn, tokens: [.formField("token"), .bearerHeader]) }
    public static var terminateAccess: PolicyAccess {
        .policy(.rexec, .delete, .callersOwn, tokens: [.formField("token"), .queryParameter("token"), .bearerHeader])
    }
    public static var statusAccess: PolicyAccess { .policy(.rexec, .read, .callersOwn) }
    public static var brokerConfigAccess: PolicyAccess { .policy(.rexec, .read, .fixed(.public)) }

    public var routes: [Route<Context>] {
        func common(_ builder: RouteBuilder<Context, NoQuery, NoBody>) -> RouteBuilder<Context, NoQuery, NoBody> {
            var builder = builder.tags("rexec")
                .responds(400, "Invalid requirements, or no user id in the token").responds(403, forbidden)
                .responds(502, "Identity provider or platform failure")
                .responds(503, "The platform is not ready (broker missing, namespace still being removed)")
            for (status, description) in extraResponses { builder = builder.responds(status, description) }
            return builder
        }
        let spawnBuilder = { (path: String, summary: String) -> Route<Context> in
            var builder = common(Route.post(path, summary, access: Self.spawnAccess))
                .answers(200, "Created, unchanged or replaced", schema: JSONSchema.of(ServerAnswer.self))
                .responds(409, "A server with other requirements exists", schema: JSONSchema.of(ServerAnswer.self))
                .responds(504, "wait=true and the server did not become ready in time", schema: JSONSchema.of(ServerAnswer.self))
                .documentedBody(JSONSchema.of(SpawnRequest.Form.self), contentType: "application/x-www-form-urlencoded")
                .responds(422, "Missing or malformed field")
            for middleware in beforeSpawn { builder = builder.before(middleware) }
            return builder.handleRequest(spawn)
        }
        let root = prefix.isEmpty ? "/" : prefix
        return [
            spawnBuilder(prefix + "/spawn", "Create, keep or (with force) replace the caller's rexec server."),
            spawnBuilder(root, "Alias of spawn (where ndp-ep leaves scidx-rexec's API URL)."),
            common(Route.delete(prefix + "/terminate", "Remove the caller's rexec server and everything made for it.", access: Self.terminateAccess))
                .documentedBody(JSONSchema.object(["token": JSONSchema.string]), contentType: "application/x-www-form-urlencoded", required: false)
                .answers(200, "Terminated, or there was none", schema: JSONSchema.of(ServerAnswer.self))
                .handleRequest(terminate),
            common(Route.get(prefix + "/status", "The caller's rexec server: phase, readiness, requirements, activity.", access: Self.statusAccess))
                .answers(200, "Server state", schema: JSONSchema.of(ServerAnswer.self))
                .handleRequest(status),
            Route.get(prefix + "/broker-config", "Where clients reach the broker.", access: Self.brokerConfigAccess).tags("rexec")
                .answers(200, "Broker address", schema: JSONSchema.of(BrokerConfig.self))
                .responds(500, "The address could not be read")
                .handleRequest(brokerConfig),
        ]
    }
}
