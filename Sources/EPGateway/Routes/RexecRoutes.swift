import Foundation
import Hummingbird
import Shared

/// `/rexec/*` on the gateway: the seed's design, in which the EP authenticates the user and
/// delegates to the deploy API over REST. With these routes, `REXEC_DEPLOYMENT_API_URL` may
/// name the gateway itself, and ndp-ep's `setup_rexec_environment` and
/// `terminate_rexec_environment` work whichever URL the operator advertises.
///
/// Spawn, terminate and status need what `/status/rexec` needs (the gate and the writer
/// tier), checked here before the deploy API, which checks the token again itself.
/// `/rexec/broker-config` is public, as on the deploy API.
struct RexecRoutes: Sendable {
    let delegate: RexecDelegate
    let authenticator: RequestAuthenticator
    let access: AccessPolicy
    let spawnWaitTimeout: Duration

    var collection: RouteCollection<ServiceRequestContext> {
        let routes = RouteCollection(context: ServiceRequestContext.self)
        routes.post("rexec") { request, context in try await spawn(request, context: context, path: "") }
        routes.post("rexec/spawn") { request, context in try await spawn(request, context: context, path: "spawn") }
        routes.delete("rexec/terminate") { request, context in
            let (body, form) = try await Self.readForm(request)
            try access.requireWriter(try await authenticator.authenticate(request, formToken: form.first("token")))
            return try await delegate.forward(call(request, context: context, path: "terminate", body: body))
        }
        routes.get("rexec/status") { request, context in
            try access.requireWriter(try await authenticator.authenticate(request))
            return try await delegate.forward(call(request, context: context, path: "status", body: nil))
        }
        routes.get("rexec/broker-config") { request, context in
            try await delegate.forward(call(request, context: context, path: "broker-config", body: nil))
        }
        return routes
    }

    func spawn(_ request: Request, context: ServiceRequestContext, path: String) async throws -> Response {
        let (body, form) = try await Self.readForm(request)
        try access.requireWriter(try await authenticator.authenticate(request, formToken: form.first("token")))
        var forwarded = call(request, context: context, path: path, body: body)
        let wait = (form.first("wait") ?? request.uri.queryParameters["wait"].map(String.init)).flatMap { try? BooleanSetting.parse($0, variable: "wait") }
        if wait == true { forwarded.extraTime = spawnWaitTimeout }
        return try await delegate.forward(forwarded)
    }

    private func call(_ request: Request, context: ServiceRequestContext, path: String, body: ByteBuffer?) -> RexecDelegate.Call {
        var headers = request.headers
        headers[CorrelationIDMiddleware.headerName] = context.correlationID
        return RexecDelegate.Call(method: request.method, path: path, query: request.uri.query, body: body, headers: headers)
    }

    static func readForm(_ request: Request) async throws -> (ByteBuffer, FormBody) {
        var request = request
        let body = try await request.collectBody(upTo: .max)
        return (body, FormBody(parsing: String(buffer: body)))
    }

    static let operations: [OpenAPIDocument.Operation] = {
        let delegated: [Int: OpenAPIDocument.Operation.Response] = [
            200: .init("The deploy API's answer", schema: OpenAPIDocument.anyObject),
            400: .init("Invalid requirements", schema: OpenAPIDocument.errorDetail),
            401: .init("Missing or invalid token", schema: OpenAPIDocument.errorDetail),
            403: .init("Outside the allowed groups or below the writer tier", schema: OpenAPIDocument.errorDetail),
            409: .init("A server with other requirements exists", schema: OpenAPIDocument.anyObject),
            422: .init("Missing field", schema: OpenAPIDocument.errorDetail),
            502: .init("Deploy API or identity provider failure", schema: OpenAPIDocument.errorDetail),
            503: .init("The platform is not ready", schema: OpenAPIDocument.errorDetail),
            504: .init("The deploy API did not answer in time", schema: OpenAPIDocument.anyObject),
        ]
        let spawnForm = OpenAPIDocument.formBody(OpenAPIDocument.object([
            "requirments": ["type": "array", "items": OpenAPIDocument.string], "token": OpenAPIDocument.string,
            "force_reinstall": OpenAPIDocument.string, "wait": OpenAPIDocument.string,
        ], required: ["requirments"]))
        return [
            .init("POST", "/rexec/spawn", summary: "Spawn the caller's rexec server (delegated to the deploy API).", tags: ["rexec"],
                  security: .bearer, requestBody: spawnForm, responses: delegated),
            .init("POST", "/rexec", summary: "Alias of /rexec/spawn.", tags: ["rexec"], security: .bearer, requestBody: spawnForm, responses: delegated),
            .init("DELETE", "/rexec/terminate", summary: "Terminate the caller's rexec server (delegated).", tags: ["rexec"], security: .bearer,
                  requestBody: OpenAPIDocument.formBody(OpenAPIDocument.object(["token": OpenAPIDocument.string])), responses: delegated),
            .init("GET", "/rexec/status", summary: "The caller's rexec server (delegated).", tags: ["rexec"], security: .bearer, responses: delegated),
            .init("GET", "/rexec/broker-config", summary: "Where clients reach the broker (delegated).", tags: ["rexec"],
                  responses: [200: .init("Broker address", schema: OpenAPIDocument.anyObject), 502: delegated[502]!, 504: delegated[504]!]),
        ]
    }()
}
