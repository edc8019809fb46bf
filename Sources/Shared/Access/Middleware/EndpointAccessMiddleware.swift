import AccessPolicy
import Hummingbird
import HummingbirdAuth
import Identity
import ServiceKit

/// The access middleware of a route: asks the access policy about the route's binding. A
/// rule that lets anyone in needs no token (none is asked for, the IdP is not called);
/// otherwise the token (from the route's sources) goes through the ``RequestAuthenticator``
/// (and so the IdP cache), the policy decides, and the user lands on the context. No token,
/// or one the IdP refuses, ends the request with the dialect's 401 (an unreachable IdP: 502);
/// a refusal with its 403. The handler never runs for either.
///
/// Routes whose object only the handler knows get the user here and ask
/// ``EndpointAccess/authorize(_:_:_:_:logger:)`` themselves.
public struct EndpointAccessMiddleware<Context: ServiceRequestContext & AuthRequestContext>: AuthenticatorMiddleware
where Context.Identity == UserIdentity {
    let access: EndpointAccess
    let binding: PolicyBinding
    let sources: [TokenSource]

    public init(_ access: EndpointAccess, binding: PolicyBinding, sources: [TokenSource] = [.bearerHeader]) {
        self.access = access
        self.binding = binding
        self.sources = sources
    }

    public func authenticate(request: Request, context: Context) async throws -> UserIdentity? {
        let token = try await TokenSource.token(in: request, from: sources)
        let object: PolicyObject
        switch binding.object {
        case .inHandler(let mode):
            // The handler decides once it has the object; a caller without a token may still
            // reach it where the policy lets anyone act on such objects. Where it does not, no
            // token is 401 at once, before anything is looked up (nothing leaks by a 404).
            guard let token else {
                if access.policy.rule(for: binding)?.allowsAnyone != true {
                    throw access.refusal(
                        access.policy.decide(nil, binding.entity, binding.operation, PolicyObject(mode: mode), logger: context.logger), subject: nil)
                }
                return nil
            }
            return try await access.authenticator.authenticate(token: token)
        case .fixed(let mode):
            object = PolicyObject(mode: mode)
        case .callersOwn:
            object = PolicyObject(mode: .private)
        }
        let rule = access.policy.rule(for: binding)
        if rule?.allowsAnyone == true || rule?.roles.isEmpty != false {
            // Open to anyone, or to no one: decided without a token, and the IdP is not asked.
            let decision = access.policy.decide(nil, binding.entity, binding.operation, object, logger: context.logger)
            guard decision.allowed else { throw access.refusal(decision, subject: nil) }
            return nil
        }
        let user = try await access.authenticator.authenticate(token: token)
        var owned = object
        if case .callersOwn = binding.object {
            owned.id = user.subject
            owned.owner = user.subject
        }
        try access.authorize(user, binding.entity, binding.operation, owned, logger: context.logger)
        return user
    }
}
