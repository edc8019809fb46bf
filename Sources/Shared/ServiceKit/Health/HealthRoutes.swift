import Essentials
import Hummingbird
import ServiceLifecycle

/// `/healthz` (the process answers) and `/readyz` (its dependencies answer too).
public struct HealthRoutes<Context: ServiceRequestContext>: Sendable {
    let checks: [ReadinessCheck]
    let lifecycle: LifecycleState

    public init(checks: [ReadinessCheck], lifecycle: LifecycleState) {
        self.checks = checks
        self.lifecycle = lifecycle
    }

    public func register(on router: some RouterMethods<Context>) {
        router.get("healthz") { _, _ in JSONValue.object(["status": "ok"]) }
        router.get("readyz") { _, _ in await readiness() }
    }

    func readiness() async -> Response {
        // Request tasks run inside the server's service, so they see its graceful shutdown.
        if lifecycle.isDraining || Task.isShuttingDownGracefully {
            return JSONValue.object(["status": "draining", "checks": [:]]).response(status: .serviceUnavailable)
        }
        let results = await ReadinessCheck.runAll(checks)
        let ready = results.allSatisfy(\.up)
        let body: JSONValue = [
            "status": .string(ready ? "ready" : "not_ready"),
            "checks": .object(Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0.json) })),
        ]
        return body.response(status: ready ? .ok : .serviceUnavailable)
    }
}
