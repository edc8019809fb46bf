import Foundation
import Shared

/// What a token validation concluded, in the broker's terms.
enum TokenOutcome: Sendable, Equatable {
    /// The IdP named a user; routing goes to the server with this identity.
    case user(sub: String)
    /// The IdP refused the token or named nobody: "Token validation failed.".
    case rejected
    /// The IdP could not answer (down, slow, 5xx); a token known from before may ride it out.
    case unavailable
}

/// Validates tokens off the routing thread through Shared's identity provider (normally the
/// caching one, so repeated and concurrent lookups cost one IdP call), and posts each outcome
/// back to the routing thread's mailbox.
struct TokenValidator: Sendable {
    let provider: any IdentityProvider

    func validate(_ token: String, then deliver: @escaping @Sendable (TokenOutcome) -> Void) {
        Task.detached {
            deliver(await outcome(for: token))
        }
    }

    func outcome(for token: String) async -> TokenOutcome {
        do {
            let identity = try await provider.identify(token: token)
            // Upstream: str(sub).strip(), and an empty sub is a failure.
            guard let sub = identity.subject?.trimmingCharacters(in: .whitespacesAndNewlines), !sub.isEmpty else { return .rejected }
            return .user(sub: sub)
        } catch let error as IdentityProviderError where error.isTokenRejection {
            return .rejected
        } catch {
            return .unavailable
        }
    }
}
