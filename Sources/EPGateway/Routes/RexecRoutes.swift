import Essentials
import Foundation
import Hummingbird
import Identity
import RexecWire
import ServiceKit

/// `/rexec/*` on the gateway: the seed's design, in which the EP authenticates the user and
/// delegates to the deploy API over REST. With these routes, `REXEC_DEPLOYMENT_API_URL` may
/// name the gateway itself, and ndp-ep's `setup_rexec_environment` and
/// `terminate_rexec_environment` work whichever URL the operator advertises.
///
/// Spawn, terminate and status are bound to `rexec` create, delete and read of the caller's
/// own server, checked here before the deploy API, which checks the token and the policy
/// again itself. `/rexec/broker-config` is the public `rexec read`, as on the deploy API.
struct RexecRoutes: Sendable {
    let delegate: RexecDelegate
    let spawnWaitTimeout: Duration

    /// `rexec create` of the caller's own server; the token may come in the form, as
    /// scidx-rexec sends it.
    var spawnRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.post("rexec") { request, context in try await spawn(request, context: context, path: "") }
        routes.post("rexec/spawn") { request, context in try await spawn(request, context: context, path: "spawn") }
        return routes
    }

    /// `rexec delete` of the caller's own server.
    var terminateRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.delete("rexec/terminate") { request, context in
            try await delegate.forward(call(request, context: context, path: "terminate", body: try await Self.body(of: request)))
        }
        return routes
    }

    /// `rexec read` of the caller's own server.
    var statusRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("rexec/status") { request, context in
            try await delegate.forward(call(request, context: context, path: "status", body: nil))
        }
        return routes
    }

    /// `rexec read` of the broker's address (public).
    var brokerConfigRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("rexec/broker-config") { request, context in
            try await delegate.forward(call(request, context: context, path: "broker-config", body: nil))
        }
        return routes
    }

    func spawn(_ request: Request, context: IdentityRequestContext, path: String) async throws -> Response {
        let body = try await Self.body(of: request)
        var forwarded = call(request, context: context, path: path, body: body)
        // The deploy API's own parser; a value it refuses is its to answer (422), so the
        // call goes through with the ordinary deadline.
        let wait = try? SpawnRequest.flag(["wait"], form: FormBody(parsing: String(buffer: body)), query: request.uri.queryParameters.lastValues)
        if wait == true { forwarded.extraTime = spawnWaitTimeout }
        return try await delegate.forward(forwarded)
    }

    private func call(_ request: Request, context: IdentityRequestContext, path: String, body: ByteBuffer?) -> RexecDelegate.Call {
        var headers = request.headers
        headers[CorrelationIDHeader.name] = context.correlationID
        return RexecDelegate.Call(method: request.method, path: path, query: request.uri.query, body: body, headers: headers)
    }

    /// The body as received (already within the body limit), forwarded unchanged.
    static func body(of request: Request) async throws -> ByteBuffer {
        var request = request
        return try await request.collectBody(upTo: .max)
    }

    static let operations = RexecOperations.all(
        RexecOperations.Mount(
            prefix: "/rexec", forbidden: "Refused by the access policy (rexec; by default the group gate, and the owner for terminate)",
            extraResponses: [
                502: .init("Deploy API or identity provider failure", schema: OpenAPIDocument.errorDetail),
                504: .init("The deploy API did not answer in time", schema: OpenAPIDocument.anyObject),
            ]
        )
    )
}
