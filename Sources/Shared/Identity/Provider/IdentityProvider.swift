/// Turns a bearer token into a user. Implementations: the HTTP client, the cache in front
/// of it, and test fakes.
public protocol IdentityProvider: Sendable {
    /// - Throws: ``IdentityProviderError``.
    func identify(token: String) async throws -> UserIdentity
}
