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

    public var routes: [Route<Context>] {
        [
            Route.get("/healthz", "Liveness: the process answers.", access: .open).tags("health")
                .answers(200, "Alive", schema: JSONSchema.object(["status": JSONSchema.string]))
                .handle { _ in JSONValue.object(["status": "ok"]) },
            Route.get("/readyz", "Readiness: the dependencies answer too.", access: .open).tags("health")
                .answers(200, "Ready", schema: JSONSchema.anyObject).responds(503, "Not ready, or draining", schema: JSONSchema.anyObject)
                .handle { _ in await readiness() },
        ]
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
