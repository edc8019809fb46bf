import Access
import AccessPolicy
import Hummingbird
import HummingbirdAuth
import Identity
import Logging
import ServiceKit

/// The access of a pods route: authenticate the caller (the body is read, since an HMAC
/// signature covers it), then ask the access policy about the route's binding. Pod routes
/// whose owner is the body's `user_id` (``PolicyBinding/ObjectSource/inHandler(_:)``) are
/// decided by ``PodRequest/user(_:)`` once the body is read.
struct CallerAccess: Sendable {
    let authenticator: CallerAuthenticator
    let policy: PolicyEnforcer

    /// The middleware enforcing a route's access; a plain-text refusal where upstream's route
    /// answered text (`get_podip_owner`).
    func middleware(for access: PolicyAccess) -> [any MiddlewareProtocol<Request, Response, PodsRequestContext>] {
        guard let binding = access.binding else { return [] }
        return [Authenticate(authenticator: authenticator), Decide(access: self, binding: binding, plainText: access.plainTextRefusal)]
    }

    /// Throws a 403 naming the entity and operation unless `caller` may act on `object`.
    func authorize(_ caller: Caller, _ entity: PolicyEntity, _ operation: PolicyOperation, _ object: PolicyObject, logger: Logger) throws {
        let decision = policy.decide(caller, entity, operation, object, logger: logger)
        guard !decision.allowed else { return }
        if let owner = object.owner, decision.rule?.roles.contains(.objectOwner) == true, !caller.holds(.objectOwner, on: object) {
            throw PodsError.forbidden("the caller may not act for user_id \(owner): \(decision.denialMessage)")
        }
        throw PodsError.forbidden(decision.denialMessage)
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

    struct Decide: RouterMiddleware {
        let access: CallerAccess
        let binding: PolicyBinding
        let plainText: Bool

        func handle(
            _ request: Request, context: PodsRequestContext, next: (Request, PodsRequestContext) async throws -> Response
        ) async throws -> Response {
            var context = context
            let caller = try context.requireIdentity()
            let object: PolicyObject
            switch binding.object {
            case .inHandler:
                context.pendingCheck = PendingCheck(access: access, binding: binding)
                return try await next(request, context)
            case .fixed(let mode):
                object = PolicyObject(mode: mode)
            case .callersOwn:
                object = PolicyObject(mode: .private)
            }
            do {
                try access.authorize(caller, binding.entity, binding.operation, object, logger: context.logger)
            } catch is PodsError where plainText {
                return Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"])
            }
            return try await next(request, context)
        }
    }

    /// The decision a handler owes once it knows the object's owner.
    struct PendingCheck: Sendable {
        let access: CallerAccess
        let binding: PolicyBinding

        func authorize(_ caller: Caller, owner: String, logger: Logger) throws {
            let object = PolicyObject(mode: binding.object.mode, id: owner, creator: owner, owner: owner)
            try access.authorize(caller, binding.entity, binding.operation, object, logger: logger)
        }
    }
}
