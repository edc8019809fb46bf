import Access
import Hummingbird
import HummingbirdAuth
import Identity
import ServiceKit

/// The pods backend's request context: the shared fields plus the ``Caller`` its route
/// group's ``CallerAccess`` verified.
struct PodsRequestContext: ServiceRequestContext, AuthRequestContext {
    typealias Access = PolicyAccess

    var coreContext: CoreRequestContextStorage
    var serviceStorage: ServiceContextStorage
    var identity: Caller?
    /// Set on routes whose object's owner the handler reads from the body.
    var pendingCheck: CallerAccess.PendingCheck?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.serviceStorage = .init(source: source)
        self.identity = nil
        self.pendingCheck = nil
    }
}
