import AccessPolicy
import ServiceKit
import ServiceLifecycle

/// The access policy as a feature of a governed service: `GET /policy`, and the reloader that
/// swaps the policy in force on SIGHUP or a change of its file.
public struct PolicyFeature<Context: ServiceRequestContext>: ServiceFeature where Context.Access == PolicyAccess {
    public let store: PolicyStore

    public init(store: PolicyStore) {
        self.store = store
    }

    public var routes: [Route<Context>] { [PolicyRoutes.route(store: store)] }
    public var services: [any Service] { [PolicyReloader(store: store)] }
}
