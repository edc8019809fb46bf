import Essentials
import Hummingbird
import Prometheus

/// `/metrics` in the Prometheus text format.
public struct MetricsRoute<Context: ServiceRequestContext>: Sendable {
    let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    public var route: Route<Context> {
        Route.get("/metrics", "Prometheus metrics.", access: .open).tags("health")
            .answers(200, "Prometheus text format", schema: JSONSchema.string, contentType: "text/plain")
            .handle { _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
                )
            }
    }
}
