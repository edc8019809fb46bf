import Hummingbird
import HummingbirdAuth
import ServiceKit

/// Authenticates every request of its route group: the token (from the group's sources)
/// goes through the ``RequestAuthenticator`` (and so the IdP cache), and the user lands on
/// the context. No token, or one the IdP refuses, ends the request with the dialect's 401
/// (an unreachable IdP: 502); the handler never runs.
public struct TokenAuthenticator<Context: ServiceRequestContext & AuthRequestContext>: AuthenticatorMiddleware
where Context.Identity == UserIdentity {
    let authenticator: RequestAuthenticator
    let sources: [TokenSource]

    public init(_ authenticator: RequestAuthenticator, sources: [TokenSource] = [.bearerHeader]) {
        self.authenticator = authenticator
        self.sources = sources
    }

    public func authenticate(request: Request, context: Context) async throws -> UserIdentity? {
        try await authenticator.authenticate(token: TokenSource.token(in: request, from: sources))
    }
}
