import Hummingbird
import HummingbirdAuth
import ServiceKit

/// The pods backend's request context: the shared fields plus the ``Caller`` its route
/// group's ``CallerAuthenticatorMiddleware`` verified.
struct PodsRequestContext: ServiceRequestContext, AuthRequestContext {
    var coreContext: CoreRequestContextStorage
    var serviceStorage: ServiceContextStorage
    var identity: Caller?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.serviceStorage = .init(source: source)
        self.identity = nil
    }
}
