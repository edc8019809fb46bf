import Essentials
import Foundation
import Hummingbird
import ServiceKit

/// The dev IdP's HTTP surface, matching the contract upstream services rely on
/// (docs/specs/rexec.md §9, docs/specs/ndp-ep.md §3.1-3.2):
///
/// - `POST /information` (and `/temp/information`, upstream's path): `{token}` → user object, or 401.
/// - `POST /user/login`: `{username, password}` → `{access_token, token_type, roles, groups}`, or 401.
/// - `GET /_dev/stats`, `POST /_dev/faults`, `POST /_dev/release`, `POST /_dev/reset`: test controls.
struct DevIdPRoutes: Sendable {
    let directory: UserDirectory
    let faults: FaultInjector

    func register(on router: some RouterMethods<BasicServiceRequestContext>) {
        router.post("information") { request, context in try await information(request, context: context) }
        router.post("temp/information") { request, context in try await information(request, context: context) }
        router.post("user/login") { request, context in try await login(request, context: context) }
        router.get("_dev/stats") { _, _ in try await stats() }
        router.post("_dev/faults") { request, context in
            let requested = try await request.decode(as: FaultInjector.Faults.self, context: context)
            await faults.set(requested)
            return try await stats()
        }
        router.post("_dev/release") { _, _ in
            await faults.releaseHeld()
            return try await stats()
        }
        router.post("_dev/reset") { _, _ in
            await faults.reset()
            return try await stats()
        }
    }

    private struct TokenRequest: Decodable { let token: String? }
    private struct LoginRequest: Decodable { let username: String?, password: String? }

    func information(_ request: Request, context: BasicServiceRequestContext) async throws -> Response {
        let applied = await faults.beforeInformation()
        if applied.delayMilliseconds > 0 { try await Sleep.for(.milliseconds(applied.delayMilliseconds)) }
        if let status = applied.status {
            return JSONValue.object(["detail": "injected failure"]).response(status: .init(code: status))
        }
        if let message = applied.error {
            return JSONValue.object(["error": .string(message)]).response()
        }
        if applied.malformed {
            return Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html>oops</html>")))
        }
        let body = try? await request.decode(as: TokenRequest.self, context: context)
        guard let token = body?.token, let user = directory.user(forToken: token) else {
            return JSONValue.object(["error": "Invalid or expired token"]).response(status: .unauthorized)
        }
        return JSONValue.object(user.object).response()
    }

    func login(_ request: Request, context: BasicServiceRequestContext) async throws -> Response {
        await faults.countLogin()
        let body = try? await request.decode(as: LoginRequest.self, context: context)
        guard let username = body?.username, let password = body?.password,
            let user = directory.user(username: username, password: password), let token = user.tokens.first
        else {
            return JSONValue.object(["error": "Invalid username or password"]).response(status: .unauthorized)
        }
        return JSONValue.object([
            "access_token": .string(token), "token_type": "bearer",
            "roles": user.object["roles"] ?? [], "groups": user.object["groups"] ?? [],
        ]).response()
    }

    func stats() async throws -> Response {
        let snapshot = (await faults.counters, await faults.faults)
        let counters = try JSONValue.decode(JSONEncoder().encode(snapshot.0))
        let faults = try JSONValue.decode(JSONEncoder().encode(snapshot.1))
        return JSONValue.object(["counters": counters, "faults": faults]).response()
    }

    static let operations: [OpenAPIDocument.Operation] = [
        .init(
            "POST", "/information", summary: "Validate a token: {token} → user object.", tags: ["idp"],
            requestBody: OpenAPIDocument.jsonBody(OpenAPIDocument.object(["token": OpenAPIDocument.string], required: ["token"])),
            responses: [200: .init("User", schema: OpenAPIDocument.anyObject), 401: .init("Unknown token", schema: OpenAPIDocument.anyObject)]),
        .init(
            "POST", "/user/login", summary: "Password login → access token.", tags: ["idp"],
            requestBody: OpenAPIDocument.jsonBody(
                OpenAPIDocument.object(["username": OpenAPIDocument.string, "password": OpenAPIDocument.string], required: ["username", "password"])),
            responses: [200: .init("Token", schema: OpenAPIDocument.anyObject), 401: .init("Bad credentials", schema: OpenAPIDocument.anyObject)]),
        .init(
            "GET", "/_dev/stats", summary: "Request counters and active faults.", tags: ["dev"],
            responses: [200: .init("Counters", schema: OpenAPIDocument.anyObject)]),
        .init(
            "POST", "/_dev/faults", summary: "Set faults: delay_ms, status, malformed, hold, error.", tags: ["dev"],
            responses: [200: .init("Counters", schema: OpenAPIDocument.anyObject)]),
        .init(
            "POST", "/_dev/release", summary: "Release held /information requests.", tags: ["dev"],
            responses: [200: .init("Counters", schema: OpenAPIDocument.anyObject)]),
        .init(
            "POST", "/_dev/reset", summary: "Clear faults and counters.", tags: ["dev"],
            responses: [200: .init("Counters", schema: OpenAPIDocument.anyObject)]),
    ]
}
