import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing

@testable import EPGateway

/// Who may call each route of the gateway, with every optional route switched on.
@Suite("EP gateway route access")
struct RouteAccessTests {
    @Test("every route has its access level: open, token, member or writer")
    func levels() throws {
        let settings = try EPSettings.load(
            from: ConfigurationSource(environment: [
                "REXEC_CONNECTION": "True", "REXEC_DEPLOYMENT_INTERNAL_URL": "http://127.0.0.1:9/rexec", "USE_JUPYTERLAB": "True",
            ]))
        let service = EPGateway.definition(
            settings: settings, http: HTTPServerSettings(port: 0), logger: Logger(label: "test"), metricsRegistry: PrometheusCollectorRegistry()
        )
        expectRouteAccess(
            service,
            standardRouteAccess.merging([
                "GET /": "open", "GET /health": "open", "GET /ready": "open",
                "POST /user/login": "open", "POST /token": "open",
                "GET /status": "token", "GET /status/metrics": "token", "GET /status/kafka-details": "token", "GET /status/jupyter": "token",
                "GET /status/rexec": "writer",
                "GET /user/info": "member",
                "GET /rexec/broker-config": "open",
                "POST /rexec": "writer", "POST /rexec/spawn": "writer", "DELETE /rexec/terminate": "writer", "GET /rexec/status": "writer",
            ]) { $1 })
    }
}
