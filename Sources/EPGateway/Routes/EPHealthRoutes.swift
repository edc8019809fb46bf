import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// Upstream's own health routes beside the shared `/healthz` and `/readyz`:
/// `GET /health` `{status: "healthy", timestamp}` and `GET /ready` with a check per
/// dependency (`up`, `down`, or `disabled` for integrations this endpoint does not run).
struct EPHealthRoutes: Sendable {
    let checks: [ReadinessCheck]
    /// Upstream's integration checks that are off here, reported as such.
    let disabled: [String]

    var collection: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("health") { _, _ in
            JSONValue.object(["status": "healthy", "timestamp": .string(Self.timestamp())])
        }
        routes.get("ready") { _, _ in
            let results = await ReadinessCheck.runAll(checks)
            var report = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0.json) })
            for name in disabled where report[name] == nil { report[name] = ["status": "disabled"] }
            let healthy = results.allSatisfy(\.up)
            let body: JSONValue = [
                "status": .string(healthy ? "healthy" : "unhealthy"), "timestamp": .string(Self.timestamp()), "checks": .object(report),
            ]
            return body.response(status: healthy ? .ok : .serviceUnavailable)
        }
        return routes
    }

    /// `2026-11-25T01:50:00.123Z`
    static func timestamp() -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
    }

    static let operations: [OpenAPIDocument.Operation] = [
        .init(
            "GET", "/health", summary: "Liveness, in upstream's format.", tags: ["health"],
            responses: [
                200: .init("Healthy", schema: OpenAPIDocument.object(["status": OpenAPIDocument.string, "timestamp": OpenAPIDocument.string]))
            ]),
        .init(
            "GET", "/ready", summary: "Readiness per dependency, in upstream's format.", tags: ["health"],
            responses: [
                200: .init("Every dependency up", schema: OpenAPIDocument.anyObject),
                503: .init("A dependency is down", schema: OpenAPIDocument.anyObject),
            ]),
    ]
}
