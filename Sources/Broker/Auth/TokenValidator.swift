import Foundation
import Identity

/// What a token validation concluded, in the broker's terms.
enum TokenOutcome: Sendable, Equatable {
    /// The IdP named a user; routing goes to the server with this identity.
    case user(sub: String)
    /// The IdP refused the token or named nobody: "Token validation failed.".
    case rejected
    /// A valid token of a user outside the endpoint's groups (ENABLE_GROUP_BASED_ACCESS), whom
    /// the gateway and the deploy API refuse too; upstream's broker let them through.
    case forbidden
    /// The IdP could not answer (down, slow, 5xx); a token known from before may ride it out.
    case unavailable
}

/// Validates tokens off the routing thread through Identity's provider (normally the
/// caching one, so repeated and concurrent lookups cost one IdP call), and posts each outcome
/// back to the routing thread's mailbox.
struct TokenValidator: Sendable {
    let provider: any IdentityProvider
    /// The same group gate as the HTTP services (open unless group-based access is on).
    var gate = GroupGate(settings: AccessSettings())

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
            if case .denied = gate.evaluate(identity) { return .forbidden }
            return .user(sub: sub)
        } catch let error as IdentityProviderError where error.isTokenRejection {
            return .rejected
        } catch {
            return .unavailable
        }
    }
}
