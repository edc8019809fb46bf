import Hummingbird
import HummingbirdAuth
import ServiceKit

/// The access middleware of a route group: the token (from the group's sources) goes
/// through the ``RequestAuthenticator`` (and so the IdP cache), the user is held to the
/// group's level, and lands on the context. No token, or one the IdP refuses, ends the
/// request with the dialect's 401 (an unreachable IdP: 502); a user below the level with its
/// 403. The handler never runs for either.
///
/// One middleware rather than an authenticator and a policy layer: it runs on every request
/// of every protected route, and each layer is one more async frame and context copy.
public struct EndpointAccessMiddleware<Context: ServiceRequestContext & AuthRequestContext>: AuthenticatorMiddleware
where Context.Identity == UserIdentity {
    let access: EndpointAccess
    let level: AccessLevel
    let sources: [TokenSource]

    public init(_ access: EndpointAccess, level: AccessLevel, sources: [TokenSource] = [.bearerHeader]) {
        self.access = access
        self.level = level
        self.sources = sources
    }

    public func authenticate(request: Request, context: Context) async throws -> UserIdentity? {
        let user = try await access.authenticator.authenticate(token: TokenSource.token(in: request, from: sources))
        try access.check(user, level: level)
        return user
    }
}
