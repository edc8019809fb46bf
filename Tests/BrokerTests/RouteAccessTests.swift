import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing

@testable import Broker

/// Who may call each route of the broker's HTTP side port (its ZeroMQ sockets check every
/// message's token themselves).
@Suite("Broker route access")
struct RouteAccessTests {
    @Test("every route of the side port is open (meant for the cluster network)")
    func levels() throws {
        let source = ConfigurationSource(environment: [
            "CLIENT_PORT": "0", "SERVER_PORT": "0", "CONTROL_PORT": "0", "REXEC_BROKER_CLIENT_BIND_ADDRESS": "127.0.0.1",
            "REXEC_BROKER_SERVER_BIND_ADDRESS": "127.0.0.1",
        ])
        let service = try RexecBroker.definition(
            source: source, http: HTTPServerSettings(port: 0), logger: Logger(label: "test"), metricsRegistry: PrometheusCollectorRegistry()
        )
        expectRouteAccess(service, standardRouteAccess.merging(["GET /servers/{identity}": "open"]) { $1 })
    }
}
