import Hummingbird
import HummingbirdAuth
import Identity
import ServiceKit

/// The pods backend's access levels: which credentials a route group takes.
extension AccessLevel {
    /// Any accepted credential: a silo (shared secret or HMAC), a user's own token (then
    /// only for their own `user_id`, checked per request), the admin secret, or nobody
    /// when `authModes` includes `none`.
    static let caller = AccessLevel("caller")
    /// Silos and the admin (not users): the answer maps pod addresses to user ids.
    static let silo = AccessLevel("silo")
    // `.admin` (Identity's): here the operator's credential, `X-Backend-Admin-Secret`.
}

/// The middleware of a pods route group: authenticate the caller (the body is read, since
/// an HMAC signature covers it), then hold them to the group's level.
struct CallerAccess: Sendable {
    let authenticator: CallerAuthenticator

    func middleware(for level: AccessLevel) -> [any MiddlewareProtocol<Request, Response, PodsRequestContext>] {
        precondition([.caller, .silo, .admin].contains(level), "the pods backend does not enforce the access level \(level)")
        return [Authenticate(authenticator: authenticator), Require(level: level)]
    }

    struct Authenticate: AuthenticatorMiddleware {
        typealias Context = PodsRequestContext
        let authenticator: CallerAuthenticator

        func authenticate(request: Request, context: PodsRequestContext) async throws -> Caller? {
            var request = request
            let body = Array(buffer: try await request.collectBody(upTo: .max))
            let path = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
            return try await authenticator.authenticate(request, path: path, body: body)
        }
    }

    struct Require: RouterMiddleware {
        let level: AccessLevel

        func handle(
            _ request: Request, context: PodsRequestContext, next: (Request, PodsRequestContext) async throws -> Response
        ) async throws -> Response {
            let caller = try context.requireIdentity()
            switch level {
            case .admin where !caller.isAdmin:
                throw APIError(.forbidden, detail: "this endpoint needs the admin credential (X-Backend-Admin-Secret)")
            case .silo where !caller.mayResolveAddresses:
                // Upstream's get_podip_owner answers plain text; so does its refusal.
                return Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"])
            default:
                return try await next(request, context)
            }
        }
    }
}

extension ServiceRoutes where Context == PodsRequestContext {
    func group(_ level: AccessLevel, access: CallerAccess) -> AccessGroup<PodsRequestContext> {
        group(level, middleware: access.middleware(for: level))
    }
}
