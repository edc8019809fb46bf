/// Who may call a route. Every route of every service is added with exactly one, through
/// ``ServiceRoutes``: a route cannot exist without saying who may call it, and the services'
/// route tests read the levels back from ``RouteAccessTable``.
///
/// A level is a name; the module that enforces it defines it (``open`` here, the token and
/// endpoint tiers in Identity, the pods backend's caller kinds in that service).
public struct AccessLevel: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    public var description: String { name }

    /// Anyone, with or without a credential: health, metrics, docs, and what upstream left public.
    public static let open = AccessLevel("open")
}
