/// What a route says about who may call it, in the terms of its service's callers. Each
/// request context names its kind (``ServiceRequestContext/Access``): the policy-governed
/// services bind routes to the access policy (Identity's `PolicyAccess`), the development
/// peers only name their routes' access. The service turns the rule into middleware
/// (``ServiceDefinition/guards``); the route tables in the docs print its description.
public protocol RouteAccessRule: Sendable, CustomStringConvertible {
    /// Anyone, with or without a credential: health, metrics, docs.
    static var open: Self { get }
    /// Decided by the access policy; a test checks that every route of a governed service
    /// but the platform's own is.
    var isPolicyBound: Bool { get }
    /// Whether a caller may be asked for a credential (the OpenAPI document's security, 401).
    var mayNeedCredential: Bool { get }
}

/// The access of routes in services without a policy: a name (`open`, kube-sim's
/// `kubernetes-api`, whose handlers check the API server's own rules).
public struct NamedAccess: RouteAccessRule, Hashable {
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    public static let open = NamedAccess("open")

    public var isPolicyBound: Bool { false }
    public var mayNeedCredential: Bool { self != .open }
    public var description: String { name }
}
