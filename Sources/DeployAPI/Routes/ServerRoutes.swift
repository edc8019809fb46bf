import Foundation
import Hummingbird
import Logging
import Shared

/// `POST /spawn` (and `POST /`), `DELETE /terminate`, `GET /status`: a user's own server.
/// Every answer is JSON; outcomes carry upstream's `Status`, `Username` and
/// `NDP_Endpoint_membership`.
struct ServerRoutes: Sendable {
    let manager: ServerManager
    let authenticator: RequestAuthenticator
    let access: AccessPolicy
    let userKeyLength: Int
    let spawnWaitTimeout: Duration

    var collection: RouteCollection<ServiceRequestContext> {
        let routes = RouteCollection(context: ServiceRequestContext.self)
        routes.post("spawn") { request, _ in try await spawn(request) }
        // ndp-ep leaves scidx-rexec's API URL at the bare root path (specs §4.3).
        routes.post("") { request, _ in try await spawn(request) }
        routes.delete("terminate") { request, _ in try await terminate(request) }
        routes.get("status") { request, _ in try await status(request) }
        return routes
    }

    /// The caller, from the form's `token` or the bearer header, through the group gate.
    private func caller(_ request: Request, formToken: String?) async throws -> Caller {
        let user = try await authenticator.authenticate(request, formToken: formToken)
        let decision = try access.requireEndpointAccess(user, wording: .deployAPI)
        // Upstream fell back to "unknown", which would put every such user on one server.
        guard let sub = user.subject else { throw APIError(.badRequest, detail: "User id could not be resolved from token.") }
        return Caller(key: UserKey(sub: sub, maxLength: userKeyLength), username: user.username, membership: decision.membership)
    }

    func spawn(_ request: Request) async throws -> Response {
        let form = try SpawnForm.parse(try await FormBody.read(from: request), query: request.uri.queryParameters.dictionary)
        let caller = try await caller(request, formToken: form.token)
        let requirements: RequirementSet
        do {
            requirements = try RequirementSet(lines: form.requirements)
        } catch {
            manager.metrics.invalidRequirements.increment()
            throw APIError(.badRequest, detail: error.message)
        }
        let spec = ServerSpec(user: caller.key, requirements: requirements)
        let outcome: ServerManager.SpawnOutcome
        do {
            outcome = try await manager.spawn(spec, force: form.force)
        } catch let conflict as ServerManager.Conflict {
            let message = "A remote execution server with different requirements exists for user: \(caller.key.sub). "
                + "Terminate it or spawn again with force to replace it."
            var body = caller.body(status: message)
            body["detail"] = .string(message)
            body["requirements"] = .array(conflict.existing.requirements.map(JSONValue.string))
            return JSONValue.object(body).response(status: .conflict)
        } catch let error as RuntimeError {
            throw error.apiError
        }
        var body = caller.body(status: outcome.statusText(sub: caller.key.sub))
        if form.wait {
            do {
                let record = try await manager.waitUntilReady(caller.key, digest: requirements.digest, timeout: spawnWaitTimeout)
                body["ready"] = .bool(record.ready)
            } catch is DeadlineExceeded {
                body["detail"] = .string("The server did not become ready within \(Int(spawnWaitTimeout.secondsDouble)) s.")
                return JSONValue.object(body).response(status: .gatewayTimeout)
            } catch let error as RuntimeError {
                body["detail"] = .string(error.message)
                return JSONValue.object(body).response(status: error.apiError.status)
            }
        }
        return JSONValue.object(body).response()
    }

    func terminate(_ request: Request) async throws -> Response {
        let form = try await FormBody.read(from: request)
        let caller = try await caller(request, formToken: form.first("token") ?? request.uri.queryParameters["token"].map(String.init))
        let removed: Bool
        do {
            removed = try await manager.terminate(caller.key)
        } catch let error as RuntimeError {
            throw error.apiError
        }
        // Idempotent: no server is not an error (a 404 would read as "API url not found").
        let status = removed
            ? "Remote Execution server terminated for user: \(caller.key.sub)"
            : "No remote execution server exists for user: \(caller.key.sub)"
        var body = caller.body(status: status)
        body["terminated"] = .bool(removed)
        return JSONValue.object(body).response()
    }

    func status(_ request: Request) async throws -> Response {
        let caller = try await caller(request, formToken: nil)
        guard let status = try await manager.status(caller.key) else {
            var body = caller.body(status: "No remote execution server exists for user: \(caller.key.sub)")
            body["phase"] = "absent"
            body["ready"] = false
            return JSONValue.object(body).response()
        }
        let record = status.record
        var body = caller.body(status: "Remote execution server is \(record.phase.rawValue) for user: \(caller.key.sub)")
        body["phase"] = .string(record.phase.rawValue)
        body["ready"] = .bool(record.ready)
        body["requirements"] = .array(record.requirements.map(JSONValue.string))
        body["digest"] = .string(record.digest)
        body["created"] = .string(ISO8601DateFormatter().string(from: record.created))
        if let message = record.message { body["message"] = .string(message) }
        if let broker = status.broker {
            body["broker"] = ["state": .string(broker.state), "seconds_since_last_seen": .number(broker.secondsSinceLastSeen)]
            body["seconds_since_last_call"] = broker.secondsSinceLastCall.map(JSONValue.number) ?? .null
        }
        return JSONValue.object(body).response()
    }

    /// Who is asking, as the answers name them.
    struct Caller {
        let key: UserKey
        let username: String?
        let membership: String?

        func body(status: String) -> [String: JSONValue] {
            // Upstream answered `str(username)`, so a missing one reads "None".
            ["Status": .string(status), "Username": .string(username ?? "None"), "NDP_Endpoint_membership": membership.map(JSONValue.string) ?? .null]
        }
    }
}

extension ServerManager.SpawnOutcome {
    func statusText(sub: String) -> String {
        switch self {
        case .created: "Remote Execution server created for user: \(sub)"
        case .unchanged: "remote execution server instance with user-provided requirements exists."
        case .replaced: "Remote Execution server replaced for user: \(sub)"
        }
    }
}

extension Hummingbird.Parameters {
    /// The last value of each query parameter.
    var dictionary: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in self { result[String(key)] = String(value) }
        return result
    }
}
