import HTTPTypes
import Hummingbird
import Shared

/// What every pods route starts with: the raw body (HMAC covers it), the caller, and the
/// body read leniently.
struct PodRequest: Sendable {
    let caller: Caller
    let body: LenientBody
    let siloIP: String

    static func read(_ request: Request, context: ServiceRequestContext, authenticator: CallerAuthenticator, address: CallerAddress) async throws -> PodRequest {
        var request = request
        let buffer = try await request.collectBody(upTo: .max)
        let bytes = Array(buffer: buffer)
        let path = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
        let caller = try await authenticator.authenticate(request, path: path, body: bytes)
        let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!]
        let silo = address.resolve(peer: context.remoteAddress?.ipAddress, forwardedFor: forwarded)
        return PodRequest(caller: caller, body: LenientBody(bytes), siloIP: silo)
    }

    /// The body's `user_id`, validated, and the caller allowed to act for it.
    func user(_ field: String = "user_id") throws -> UserID {
        let text = body.string(field)
        let user: UserID
        do {
            user = try UserID(text)
        } catch {
            throw PodsError.badRequest(error.description)
        }
        guard caller.mayActFor(user.description) else {
            throw PodsError.forbidden("the caller may not act for user_id \(user)")
        }
        return user
    }
}

/// A failure with upstream's body for the route (e.g. `{"pod_name": ""}`) plus `detail`.
struct PodsError: Error, Sendable {
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

    func response(defaults: [String: JSONValue]) -> Response {
        var body = defaults
        body["detail"] = .string(detail)
        return JSONValue.object(body).response(status: status)
    }
}
