import Access
import AccessPolicy
import Essentials
import HTTPTypes
import Hummingbird
import Identity
import Kubernetes
import Logging
import ServiceKit

/// What every pods route works from: the verified caller, the body read leniently, and the
/// silo address the request came from.
struct PodRequest: Sendable {
    let caller: Caller
    let body: LenientBody
    let siloIP: String
    /// The policy decision owed once the owner is known (routes bound `inHandler`).
    let pendingCheck: CallerAccess.PendingCheck?
    let logger: Logger

    init(caller: Caller, body: LenientBody, siloIP: String, pendingCheck: CallerAccess.PendingCheck? = nil, logger: Logger) {
        self.caller = caller
        self.body = body
        self.siloIP = siloIP
        self.pendingCheck = pendingCheck
        self.logger = logger
    }

    /// The request as its route group's middleware left it (caller verified, body collected).
    init(_ request: Request, context: PodsRequestContext, address: CallerAddress) async throws {
        var request = request
        let bytes = Array(buffer: try await request.collectBody(upTo: .max))
        let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!]
        self.init(
            caller: try context.requireIdentity(), body: LenientBody(bytes),
            siloIP: address.resolve(peer: context.remoteAddress?.ipAddress, forwardedFor: forwarded),
            pendingCheck: context.pendingCheck, logger: context.logger
        )
    }

    /// The body's `user_id`, validated, and the policy asked whether the caller may act on
    /// that user's pods.
    func user(_ field: String = "user_id") throws -> UserID {
        let user: UserID
        do {
            user = try UserID(body.string(field))
        } catch {
            throw PodsError.badRequest(error.description)
        }
        try requireActingFor(user)
        return user
    }

    /// Refuses (403) a caller the policy does not let act on `user`'s pods.
    func requireActingFor(_ user: UserID) throws {
        try pendingCheck?.authorize(caller, owner: user.description, logger: logger)
    }
}

/// A failure of a pods route, as upstream answered them: a status and a `detail`, which
/// ``PodsAnswer`` puts into the route's usual body (e.g. `{"pod_name": ""}`).
struct PodsError: Error, Sendable, APIErrorConvertible {
    let status: HTTPResponse.Status
    let detail: String

    static func badRequest(_ detail: String) -> PodsError { PodsError(status: .badRequest, detail: detail) }
    static func forbidden(_ detail: String) -> PodsError { PodsError(status: .forbidden, detail: detail) }

    /// Kubernetes failures: upstream said 400 for everything; an unreachable API is the
    /// upstream's fault (502), a refusal is the request's (400).
    static func kubernetes(_ error: any Error) -> PodsError {
        if let error = error as? KubernetesError, error.isTransport || error.code >= 500 {
            return PodsError(status: .badGateway, detail: "Kubernetes API unavailable: \(error.message)")
        }
        return PodsError(status: .badRequest, detail: "\(error)")
    }

    var apiError: APIError { APIError(status, detail: detail) }
}

/// Runs a route's work and answers upstream's way: 200 with its JSON, or the failure's
/// status with the route's default body plus `detail`. Unexpected failures (Kubernetes
/// calls) are logged and mapped by ``PodsError/kubernetes(_:)``.
enum PodsAnswer {
    /// `POST /<path>`, declared with its body's and answer's wire types (``PodsWire``),
    /// answered with `work` on the request (caller verified by the route's access), the pods
    /// way (see ``answer(defaults:context:_:)``).
    static func route<Body: Decodable, Answer: Decodable>(
        _ path: String, _ summary: String, access: PolicyAccess, body: Body.Type, answer answerType: Answer.Type, failure: String,
        defaults: [String: JSONValue], address: CallerAddress, also: [Int: String] = [:], tags: String = "pods",
        _ work: @escaping @Sendable (PodRequest) async throws -> JSONValue
    ) -> Route<PodsRequestContext> {
        var builder = Route<PodsRequestContext>.post(path, summary, access: access).tags(tags).body(RawBody.self)
            .documentedBody(JSONSchema.of(Body.self))
            .answers(200, "Done", schema: JSONSchema.of(Answer.self))
            .responds(400, failure + " (the route's usual body, with detail)", schema: JSONSchema.anyObject)
            .responds(502, "The Kubernetes API or identity provider is unavailable", schema: JSONSchema.anyObject)
        for (status, description) in also { builder = builder.responds(status, description) }
        return builder.handleRequest { request, context in
            let call = try await PodRequest(request, context: context, address: address)
            return try await answer(defaults: defaults, context: context) { try await work(call) }
        }
    }

    static func answer(
        defaults: [String: JSONValue], context: PodsRequestContext, _ work: () async throws -> JSONValue
    ) async throws -> JSONValue {
        do {
            return try await work()
        } catch let error as PodsError {
            throw error.apiError.adding(fields: defaults)
        } catch let error as any APIErrorConvertible {
            throw error
        } catch {
            context.logger.warning("request failed", metadata: ["error": "\(error)"])
            throw PodsError.kubernetes(error).apiError.adding(fields: defaults)
        }
    }
}
