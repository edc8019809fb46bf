import AccessPolicy
import Hummingbird

/// Who may call a route. Every route of every service is added with exactly one, through
/// ``ServiceRoutes``: a route cannot exist without saying who may call it, and the services'
/// route tests read the levels back from ``RouteAccessTable``.
///
/// The HTTP services users call (the EP, the deploy API, the pods backend) bind each route to
/// the access policy (``policy(_:)``): the level then names the entity, operation and mode
/// the policy decides on. ``open`` is left for what every service serves to its platform
/// (probes, metrics, docs) and for the development peers.
public struct AccessLevel: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    /// Set for routes the access policy governs.
    public let binding: PolicyBinding?

    public init(_ name: String) {
        self.name = name
        self.binding = nil
    }

    private init(binding: PolicyBinding) {
        self.name = binding.description
        self.binding = binding
    }

    public var description: String { name }

    /// Anyone, with or without a credential: health, metrics, docs.
    public static let open = AccessLevel("open")

    /// Decided by the access policy for `binding`.
    public static func policy(_ binding: PolicyBinding) -> AccessLevel {
        AccessLevel(binding: binding)
    }
}

/// A level and the middleware that enforces it, as the module that owns the callers' kind
/// builds them (Identity for IdP users, the pods backend for silos).
public struct RouteGuard<Context: RequestContext> {
    public let level: AccessLevel
    public let middleware: [any MiddlewareProtocol<Request, Response, Context>]

    public init(level: AccessLevel, middleware: [any MiddlewareProtocol<Request, Response, Context>]) {
        self.level = level
        self.middleware = middleware
    }
}
