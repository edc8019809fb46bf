import Essentials
import ServiceKit

/// Token → user, or an ``APIError`` worded in the service's ``AuthDialect``. The
/// ``EndpointAccessMiddleware`` calls it once per request; handlers never do.
public struct RequestAuthenticator: Sendable {
    /// A fixed token with a fixed identity (upstream's `TEST_TOKEN`). Off unless configured.
    public struct StaticToken: Sendable {
        public let digest: TokenDigest
        public let identity: UserIdentity

        public init(token: String, identity: UserIdentity) {
            self.digest = TokenDigest(token)
            self.identity = identity
        }
    }

    public let provider: any IdentityProvider
    public let dialect: AuthDialect
    public let staticToken: StaticToken?

    public init(provider: any IdentityProvider, dialect: AuthDialect, staticToken: StaticToken? = nil) {
        self.provider = provider
        self.dialect = dialect
        self.staticToken = staticToken
    }

    /// The user for a token from any source (header or form field).
    public func authenticate(token: String?) async throws -> UserIdentity {
        guard let token, !token.isEmpty else { throw dialect.missingToken }
        if let staticToken, TokenDigest(token) == staticToken.digest {
            return staticToken.identity
        }
        do {
            return try await provider.identify(token: token)
        } catch let failure as IdentityProviderError {
            throw dialect.error(for: failure)
        }
    }
}
