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
    // Every route is in the service's OpenAPI document (schemathesis fuzzes from it), the
    // shared ones and a route's trailing-slash twin included.
    let documented = Set(
        (service.openAPI.operations + StandardOperations.all).map {
            "\($0.method.uppercased()) \($0.path.count > 1 && $0.path.hasSuffix("/") ? String($0.path.dropLast()) : $0.path)"
        })
    for entry in built.access.all {
        let path = entry.path.count > 1 && entry.path.hasSuffix("/") ? String(entry.path.dropLast()) : entry.path
        // A catch-all (`/x/**`) is documented by the paths it serves (`/x/{key}`, `/x/{key}/y`).
        if path.hasSuffix("/**") {
            let prefix = "\(entry.method) \(path.dropLast(2))"
            if !documented.contains(where: { $0.hasPrefix(prefix) && $0.count > prefix.count }) {
                Issue.record("\(entry.method) \(entry.path) is not in the OpenAPI document", sourceLocation: sourceLocation)
            }
            continue
        }
        if !documented.contains("\(entry.method) \(path)") {
            Issue.record("\(entry.method) \(entry.path) is not in the OpenAPI document", sourceLocation: sourceLocation)
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
