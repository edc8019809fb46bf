import Access
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// Upstream's own health routes beside the shared `/healthz` and `/readyz`:
/// `GET /health` `{status: "healthy", timestamp}` and `GET /ready` with a check per
/// dependency (`up`, `down`, or `disabled` for integrations this endpoint does not run).
struct EPHealthRoutes: ServiceFeature {
    let checks: [ReadinessCheck]
    /// Upstream's integration checks that are off here, reported as such.
    let disabled: [String]

    /// `status read` of the endpoint (public).
    var routes: [Route<IdentityRequestContext>] {
        let access = PolicyAccess.policy(.status, .read, .fixed(.public))
        return [
            Route.get("/health", "Liveness, in upstream's format.", access: access).tags("health")
                .handle { _ in Health(status: "healthy", timestamp: Self.timestamp()) },
            Route.get("/ready", "Readiness per dependency, in upstream's format.", access: access).tags("health")
                .answers(200, "Every dependency up", schema: JSONSchema.anyObject).responds(503, "A dependency is down", schema: JSONSchema.anyObject)
                .handle { _ in
                    let results = await ReadinessCheck.runAll(checks)
                    var report = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0.json) })
                    for name in disabled where report[name] == nil { report[name] = ["status": "disabled"] }
                    let healthy = results.allSatisfy(\.up)
                    let body: JSONValue = [
                        "status": .string(healthy ? "healthy" : "unhealthy"), "timestamp": .string(Self.timestamp()), "checks": .object(report),
                    ]
                    return body.response(status: healthy ? .ok : .serviceUnavailable)
                },
        ]
    }

    struct Health: JSONAnswer {
        var status: String
        var timestamp: String
    }

    /// `2026-11-25T01:50:00.123Z`
    static func timestamp() -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
    }
}
