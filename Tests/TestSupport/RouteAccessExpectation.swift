import ServiceKit
import Testing

/// Asserts who may call each route of `service`: every route the router has was added with
/// an access level, and the levels are exactly `expected` (`"GET /healthz": "open"`,
/// `"GET /status/rexec": "rexec read (protected)"`). A new route, a removed one or a changed
/// level fails the test until `expected` says so too.
///
/// `governedByPolicy`: every route but the platform's own (``standardRouteAccess``) must be
/// bound to the access policy, whatever `expected` says.
public func expectRouteAccess<Context>(
    _ service: ServiceDefinition<Context>, _ expected: [String: String], governedByPolicy: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let built = buildRouter(service)
    #expect(built.routesWithoutAccessLevel.isEmpty, "routes without an access level", sourceLocation: sourceLocation)
    if governedByPolicy {
        for entry in built.access.all where entry.level.binding == nil && standardRouteAccess["\(entry.method) \(entry.path)"] == nil {
            Issue.record("\(entry.method) \(entry.path) is not bound to the access policy (\(entry.level))", sourceLocation: sourceLocation)
        }
    }
    var actual: [String: String] = [:]
    for entry in built.access.all { actual["\(entry.method) \(entry.path)"] = entry.level.name }
    for key in Set(actual.keys).union(expected.keys).sorted() where actual[key] != expected[key] {
        Issue.record(
            "\(key): access level \(actual[key] ?? "none (no such route)"), expected \(expected[key] ?? "no such route")",
            sourceLocation: sourceLocation)
    }
}

/// The routes every service has, open to anyone.
public let standardRouteAccess: [String: String] = [
    "GET /healthz": "open", "GET /readyz": "open", "GET /metrics": "open", "GET /openapi.json": "open", "GET /docs": "open",
]
