import Essentials
import Foundation
import Hummingbird
import ServiceKit

/// The dev IdP's HTTP surface, matching the contract upstream services rely on
/// (docs/specs/rexec.md §9, docs/specs/ndp-ep.md §3.1-3.2):
///
/// - `POST /information` (and `/temp/information`, upstream's path): `{token}` → user object, or 401.
/// - `POST /user/login`: `{username, password}` → `{access_token, token_type, roles, groups}`, or 401.
/// - `POST /group/add-user {group_name, username}`, `POST /role/assign {role_name, username,
///   group_name}`: the AAI calls an approved access request makes, with an admin's bearer
///   token (role `ndp_admin`); the user's groups gain `group_name`, their roles
///   `group:<group_name>:<role_name>` (a role name the EP's tiers read), in memory.
/// - `GET /_dev/stats`, `POST /_dev/faults`, `POST /_dev/release`, `POST /_dev/reset`: test controls.
struct DevIdPRoutes: Sendable {
    let directory: Directory
    let faults: FaultInjector

    /// The users, changed by the AAI calls.
    actor Directory {
        var users: UserDirectory
        /// As loaded: `/_dev/reset` goes back to it.
        let loaded: UserDirectory

        init(_ users: UserDirectory) {
            self.users = users
            self.loaded = users
        }

        func reset() { users = loaded }

        func user(forToken token: String) -> UserDirectory.User? { users.user(forToken: token) }

        func user(username: String, password: String) -> UserDirectory.User? { users.user(username: username, password: password) }

        func user(named username: String) -> UserDirectory.User? { users.users.first { $0.username == username } }

        func add(_ value: String, to list: String, ofUser username: String) -> Bool { users.add(value, to: list, ofUser: username) }
    }

    var routes: [Route<BasicServiceRequestContext>] {
        typealias Dev = Route<BasicServiceRequestContext>
        let user = JSONSchema.anyObject
        let information = { (path: String) in
            Dev.post(path, "Validate a token: {token} → user object.", access: .open).tags("idp")
                .documentedBody(JSONSchema.object(["token": JSONSchema.string], required: ["token"]))
                .answers(200, "User", schema: user).responds(401, "Unknown token", schema: user)
                .handle { call in try await self.information(call.request, context: call.context) }
        }
        let aai = {
            (path: String, summary: String, fields: [String], what: @escaping @Sendable ([String: JSONValue]) -> (value: String, list: String)?) in
            Dev.post(path, summary, access: .open).tags("aai")
                .documentedBody(JSONSchema.object(Dictionary(uniqueKeysWithValues: fields.map { ($0, JSONSchema.string) }), required: fields))
                .answers(200, "Changed", schema: user).responds(404, "No such user", schema: user)
                .handle { call in try await change(call.request, context: call.context, what) }
        }
        let counters = {
            (path: String, summary: String, act: @escaping @Sendable (RouteCall<BasicServiceRequestContext, NoQuery, NoBody>) async throws -> Void) in
            Dev.post(path, summary, access: .open).tags("dev").answers(200, "Counters", schema: user).handle { call in
                try await act(call)
                return try await stats()
            }
        }
        return [
            information("/information"), information("/temp/information"),
            Dev.post("/user/login", "Password login → access token.", access: .open).tags("idp")
                .documentedBody(
                    JSONSchema.object(["username": JSONSchema.string, "password": JSONSchema.string], required: ["username", "password"])
                )
                .answers(200, "Token", schema: user).responds(401, "Bad credentials", schema: user)
                .handle { call in try await login(call.request, context: call.context) },
            aai("/group/add-user", "AAI: add a user to a group (admin token).", ["group_name", "username"]) { body in
                guard let group = body["group_name"]?.stringValue, !group.isEmpty else { return nil }
                return (group, "groups")
            },
            aai("/role/assign", "AAI: assign a role in a group (admin token).", ["role_name", "username", "group_name"]) { body in
                guard let group = body["group_name"]?.stringValue, let role = body["role_name"]?.stringValue, !group.isEmpty, !role.isEmpty
                else { return nil }
                return ("group:\(group):\(role)", "roles")
            },
            Dev.get("/_dev/stats", "Request counters and active faults.", access: .open).tags("dev").answers(200, "Counters", schema: user)
                .handle { _ in try await stats() },
            counters("/_dev/faults", "Set faults: delay_ms, status, malformed, hold, error, aai_status.") { call in
                await faults.set(try await call.request.decode(as: FaultInjector.Faults.self, context: call.context))
            },
            counters("/_dev/release", "Release held /information requests.") { _ in await faults.releaseHeld() },
            counters("/_dev/reset", "Clear faults and counters, and undo the AAI calls' changes.") { _ in
                await faults.reset()
                await directory.reset()
            },
        ]
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
        guard let token = body?.token, let user = await directory.user(forToken: token) else {
            return JSONValue.object(["error": "Invalid or expired token"]).response(status: .unauthorized)
        }
        return JSONValue.object(user.object).response()
    }

    func login(_ request: Request, context: BasicServiceRequestContext) async throws -> Response {
        await faults.countLogin()
        let body = try? await request.decode(as: LoginRequest.self, context: context)
        guard let username = body?.username, let password = body?.password,
            let user = await directory.user(username: username, password: password), let token = user.tokens.first
        else {
            return JSONValue.object(["error": "Invalid username or password"]).response(status: .unauthorized)
        }
        return JSONValue.object([
            "access_token": .string(token), "token_type": "bearer",
            "roles": user.object["roles"] ?? [], "groups": user.object["groups"] ?? [],
        ]).response()
    }

    /// An AAI change: the caller must be an admin; `what` reads the body into the value and
    /// the list (`groups`, `roles`) it goes to, or nil when a field is missing (422).
    func change(
        _ request: Request, context: BasicServiceRequestContext, _ what: @Sendable ([String: JSONValue]) -> (value: String, list: String)?
    ) async throws -> Response {
        if let status = await faults.faults.aaiStatus {
            return JSONValue.object(["detail": "injected failure"]).response(status: .init(code: status))
        }
        let header = request.headers[.authorization] ?? ""
        guard header.lowercased().hasPrefix("bearer "), let caller = await directory.user(forToken: String(header.dropFirst(7))) else {
            return JSONValue.object(["detail": "Invalid or expired token"]).response(status: .unauthorized)
        }
        guard (caller.object["roles"]?.arrayValue ?? []).contains(.string("ndp_admin")) else {
            return JSONValue.object(["detail": "Only administrators may change groups and roles"]).response(status: .forbidden)
        }
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 10)
        guard let body = try? JSONValue.decode(Data(buffer: buffer)).objectValue, let username = body["username"]?.stringValue,
            let (value, list) = what(body)
        else {
            return JSONValue.object(["detail": "username and group_name (and role_name) are required"]).response(status: .unprocessableContent)
        }
        guard await directory.add(value, to: list, ofUser: username) else {
            return JSONValue.object(["detail": .string("User '\(username)' not found")]).response(status: .notFound)
        }
        return JSONValue.object(["message": .string("\(list == "groups" ? "Added to group" : "Role assigned"): \(value)")]).response()
    }

    func stats() async throws -> Response {
        let snapshot = (await faults.counters, await faults.faults)
        let counters = try JSONValue.decode(JSONEncoder().encode(snapshot.0))
        let faults = try JSONValue.decode(JSONEncoder().encode(snapshot.1))
        return JSONValue.object(["counters": counters, "faults": faults]).response()
    }
}
