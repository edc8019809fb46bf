import Access
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
struct RexecRoutes: ServiceFeature {
    let delegate: RexecDelegate
    let spawnWaitTimeout: Duration
    /// `REXEC_DEPLOYMENT_INTERNAL_URL`: ready once the deploy API answers there.
    let deployAPI: URL

    var readinessChecks: [ReadinessCheck] { [.service("rexec_deployment_api", baseURL: deployAPI)] }

    /// The rexec routes as the deploy API serves them (``RexecRouteSet``), under `/rexec`; each
    /// call is forwarded there with the body and query as received.
    var routes: [Route<IdentityRequestContext>] {
        var set = RexecRouteSet<IdentityRequestContext>(
            prefix: "/rexec", forbidden: "Refused by the access policy (rexec; by default the group gate, and the owner for terminate)",
            spawn: { request, context in
                try await spawn(request, context: context, path: request.uri.path.hasSuffix("/spawn") ? "spawn" : "")
            },
            terminate: { request, context in
                try await delegate.forward(call(request, context: context, path: "terminate", body: try await Self.body(of: request)))
            },
            status: { request, context in try await delegate.forward(call(request, context: context, path: "status", body: nil)) },
            brokerConfig: { request, context in try await delegate.forward(call(request, context: context, path: "broker-config", body: nil)) })
        set.extraResponses = [502: "Deploy API or identity provider failure", 504: "The deploy API did not answer in time"]
        return set.routes
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
}
