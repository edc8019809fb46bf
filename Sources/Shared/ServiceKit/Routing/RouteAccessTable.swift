import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// The access level each route was added with, keyed by method and path as the router
/// knows them (`GET /servers/{identity}`).
public final class RouteAccessTable: Sendable {
    public struct Entry: Hashable, Sendable, CustomStringConvertible {
        public let method: String
        public let path: String
        public let level: AccessLevel

        public var description: String { "\(method) \(path) → \(level)" }
    }

    private let entries = NIOLockedValueBox<[Entry]>([])

    public init() {}

    func record(method: HTTPRequest.Method, path: RouterPath, level: AccessLevel) {
        let entry = Entry(method: method.rawValue, path: Self.normalize(path.description), level: level)
        entries.withLockedValue { $0.append(entry) }
    }

    /// Every recorded route, sorted by path then method.
    public var all: [Entry] {
        entries.withLockedValue { $0 }.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    /// The level of one route, or nil when it was not added through ``ServiceRoutes``.
    public func level(method: HTTPRequest.Method, path: RouterPath) -> AccessLevel? {
        let key = Self.normalize(path.description)
        return entries.withLockedValue { $0.last { $0.method == method.rawValue && $0.path == key }?.level }
    }

    /// `/a/b`, whatever slashes the route was written with.
    public static func normalize(_ path: String) -> String {
        "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }
}
