import Access
import Essentials
import Foundation
import Hummingbird
import Identity
import Logging
import RexecWire
import ServiceKit
import ServiceLifecycle

/// `POST /spawn` (and `POST /`), `DELETE /terminate`, `GET /status`: a user's own server
/// (`rexec` create, delete and read of the caller's own; their route groups check the token
/// and the access policy). Every answer is a ``ServerAnswer``.
struct ServerRoutes: ServiceFeature {
    let manager: ServerManager
    /// Asked again only for the answer's `NDP_Endpoint_membership` (the group let them in).
    let gate: GroupGate
    let userKeyLength: Int
    let spawnWaitTimeout: Duration
    let brokerConfig: BrokerConfigRoutes
    /// The runtime's own (a cluster that answers, a broker Service), and the broker's side port.
    var readinessChecks: [ReadinessCheck] = []
    /// The runtime's watchers and restarts, the idle reaper.
    var services: [any Service] = []

    /// The rexec routes (declared in ``RexecRouteSet``, as the EP serves them too); `POST /`
    /// is there because ndp-ep leaves scidx-rexec's API URL at the bare root path
    /// (docs/specs/rexec.md §4.3).
    var routes: [Route<IdentityRequestContext>] {
        var set = RexecRouteSet<IdentityRequestContext>(
            prefix: "", forbidden: "Refused by the access policy (by default: not in an allowed group)",
            spawn: { request, context in try await spawn(request, caller: caller(context)) },
            terminate: { _, context in try await terminate(caller: caller(context)).makeResponse(status: .ok) },
            status: { _, context in try await status(caller: caller(context)).makeResponse(status: .ok) },
            brokerConfig: { _, _ in try await brokerConfig.brokerConfig() })
        set.beforeSpawn = [SpawnFormValidation()]
        return set.routes
    }

    /// Who is asking, as the answers name them.
    struct Caller {
        let key: UserKey
        let username: String?
        let membership: String?

        func answer(_ status: String) -> ServerAnswer {
            ServerAnswer(status: status, username: username, membership: membership)
        }
    }

    private func caller(_ context: IdentityRequestContext) throws -> Caller {
        let user = try context.requireIdentity()
        // Upstream fell back to "unknown", which would put every such user on one server.
        guard let sub = user.subject else { throw APIError(.badRequest, detail: "User id could not be resolved from token.") }
        return Caller(key: UserKey(sub: sub, maxLength: userKeyLength), username: user.username, membership: gate.evaluate(user).membership)
    }

    func spawn(_ request: Request, caller: Caller) async throws -> Response {
        let form = try SpawnRequest(form: try await FormBody.read(from: request), query: request.uri.queryParameters.lastValues)
        let requirements: RequirementSet
        do {
            requirements = try RequirementSet(lines: form.requirements)
        } catch {
            manager.metrics.invalidRequirements.increment()
            throw APIError(.badRequest, detail: error.message)
        }
        let outcome: ServerManager.SpawnOutcome
        do {
            outcome = try await manager.spawn(ServerSpec(user: caller.key, requirements: requirements), force: form.force)
        } catch let conflict as ServerManager.Conflict {
            let message =
                "A remote execution server with different requirements exists for user: \(caller.key.sub). "
                + "Terminate it or spawn again with force to replace it."
            var answer = caller.answer(message)
            answer.detail = message
            answer.requirements = conflict.existing.requirements
            return try answer.makeResponse(status: .conflict)
        }
        var answer = caller.answer(outcome.statusText(sub: caller.key.sub))
        if form.wait {
            do {
                let record = try await manager.waitUntilReady(caller.key, digest: requirements.digest, timeout: spawnWaitTimeout)
                answer.ready = record.ready
            } catch is DeadlineExceeded {
                answer.detail = "The server did not become ready within \(Int(spawnWaitTimeout.seconds)) s."
                return try answer.makeResponse(status: .gatewayTimeout)
            } catch let error as RuntimeError {
                answer.detail = error.message
                return try answer.makeResponse(status: error.apiError.status)
            }
        }
        return try answer.makeResponse(status: .ok)
    }

    func terminate(caller: Caller) async throws -> ServerAnswer {
        let removed = try await manager.terminate(caller.key)
        // Idempotent: no server is not an error (a 404 would read as "API url not found").
        var answer = caller.answer(
            removed
                ? "Remote Execution server terminated for user: \(caller.key.sub)"
                : "No remote execution server exists for user: \(caller.key.sub)"
        )
        answer.terminated = removed
        return answer
    }

    func status(caller: Caller) async throws -> ServerAnswer {
        guard let status = try await manager.status(caller.key) else {
            var answer = caller.answer("No remote execution server exists for user: \(caller.key.sub)")
            answer.phase = .absent
            answer.ready = false
            return answer
        }
        let record = status.record
        var answer = caller.answer("Remote execution server is \(record.phase.rawValue) for user: \(caller.key.sub)")
        answer.phase = record.phase.wire
        answer.ready = record.ready
        answer.requirements = record.requirements
        answer.digest = record.digest
        answer.created = ISO8601DateFormatter().string(from: record.created)
        answer.message = record.message
        if let broker = status.broker {
            answer.broker = ServerAnswer.BrokerView(state: broker.state, secondsSinceLastSeen: broker.secondsSinceLastSeen)
            answer.secondsSinceLastCall = broker.secondsSinceLastCall
        }
        return answer
    }
}

/// Checks a spawn form before its token: FastAPI validates the form first, so a request
/// missing `requirments` is 422 whatever its token (and the IdP is not asked).
struct SpawnFormValidation: RouterMiddleware {
    func handle(
        _ request: Request, context: IdentityRequestContext, next: (Request, IdentityRequestContext) async throws -> Response
    ) async throws -> Response {
        _ = try SpawnRequest(form: try await FormBody.read(from: request), query: request.uri.queryParameters.lastValues)
        return try await next(request, context)
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

extension ServerRecord.Phase {
    var wire: ServerAnswer.Phase {
        switch self {
        case .starting: .starting
        case .running: .running
        case .failed: .failed
        case .terminating: .terminating
        }
    }
}
