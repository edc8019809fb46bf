import ServiceKit
import Testing

/// Checks what must hold of any service's routes, whatever they are (the routes themselves
/// and their access are in docs/routes.md, written from their declarations and checked by
/// DocumentationTests): no route is declared twice, and, in a service the access policy
/// governs, every route but the platform's own (``sharedRoutes``) is bound to the policy.
public func expectWellDeclaredRoutes<Context>(
    _ service: ServiceDefinition<Context>, governedByPolicy: Bool, sourceLocation: SourceLocation = #_sourceLocation
) {
    var seen = Set<String>()
    for route in service.allRoutes {
        let key = "\(route.method.rawValue) \(normalized(route.path))"
        if !seen.insert(key).inserted { Issue.record("\(key) is declared twice", sourceLocation: sourceLocation) }
        if governedByPolicy, !route.access.isPolicyBound, !sharedRoutes.contains(key) {
            Issue.record("\(key) is not bound to the access policy (\(route.access))", sourceLocation: sourceLocation)
        }
    }
    let documented = Set(service.document.operations.map { "\($0.method.uppercased()) \($0.path)" })
    for route in service.allRoutes where !documented.contains("\(route.method.rawValue) \(route.path)") {
        Issue.record("\(route.name) is not in the OpenAPI document", sourceLocation: sourceLocation)
    }
}

/// The routes every service has, open to anyone.
public let sharedRoutes: Set<String> = ["GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json", "GET /docs"]

/// `/a/b`, whatever slashes the route was written with (the router ignores a trailing one).
private func normalized(_ path: String) -> String {
    "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
}
