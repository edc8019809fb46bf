import Hummingbird
import ServiceLifecycle

/// `/healthz` (the process answers) and `/readyz` (its dependencies answer too).
public struct HealthRoutes: Sendable {
    let checks: [ReadinessCheck]
    let lifecycle: LifecycleState

    public init(checks: [ReadinessCheck], lifecycle: LifecycleState) {
        self.checks = checks
        self.lifecycle = lifecycle
    }

    public func register(on router: Router<ServiceRequestContext>) {
        router.get("healthz") { _, _ in JSONValue.object(["status": "ok"]) }
        router.get("readyz") { _, _ in await readiness() }
    }

    /// Runs every check concurrently, each within its own deadline.
    public static func run(_ checks: [ReadinessCheck]) async -> [ReadinessCheck.Result] {
        await withTaskGroup(of: ReadinessCheck.Result.self) { group in
            for check in checks { group.addTask { await check.run() } }
            var results: [ReadinessCheck.Result] = []
            for await result in group { results.append(result) }
            return results
        }
    }

    func readiness() async -> Response {
        // Request tasks run inside the server's service, so they see its graceful shutdown.
        if lifecycle.isDraining || Task.isShuttingDownGracefully {
            return JSONValue.object(["status": "draining", "checks": [:]]).response(status: .serviceUnavailable)
        }
        let results = await Self.run(checks)
        let ready = results.allSatisfy(\.up)
        let body: JSONValue = [
            "status": .string(ready ? "ready" : "not_ready"),
            "checks": .object(Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0.json) })),
        ]
        return body.response(status: ready ? .ok : .serviceUnavailable)
    }
}
