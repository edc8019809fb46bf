import Hummingbird
import HummingbirdAuth
import Identity
import ServiceKit

/// The request context of a service whose users bring IdP tokens (the EP gateway, the
/// deploy API): the shared fields plus the identity ``EndpointAccessMiddleware`` verified, which
/// handlers read with `context.requireIdentity()` (hummingbird-auth's `AuthRequestContext`).
public struct IdentityRequestContext: ServiceRequestContext, AuthRequestContext {
    public typealias Access = PolicyAccess

    public var coreContext: CoreRequestContextStorage
    public var serviceStorage: ServiceContextStorage
    /// Set once a token was checked; nil where the policy let the caller in without one.
    public var identity: UserIdentity?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.serviceStorage = .init(source: source)
        self.identity = nil
    }
}
