import ServiceLifecycle

/// One capability of a service, whole: the routes it serves, the readiness checks of what it
/// depends on, and the work it does in the background. A service is a list of features, each
/// built by the composition root from its own settings (the settings' declarations are the
/// feature's too: ``SettingGroup``); ``ServiceDefinition`` gathers their routes, checks and
/// services.
public protocol ServiceFeature<Context>: Sendable {
    associatedtype Context: ServiceRequestContext
    var routes: [Route<Context>] { get }
    /// What `/readyz` asks before the service takes traffic (a database, an upstream).
    var readinessChecks: [ReadinessCheck] { get }
    /// Long-running work beside the server (a job runner, a sweep, a watch).
    var services: [any Service] { get }
}

extension ServiceFeature {
    public var readinessChecks: [ReadinessCheck] { [] }
    public var services: [any Service] { [] }
}

/// A feature that is only routes (a service's root route, a test's handful).
public struct RouteList<Context: ServiceRequestContext>: ServiceFeature {
    public let routes: [Route<Context>]

    public init(_ routes: [Route<Context>]) {
        self.routes = routes
    }
}
