import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing

@testable import EPGateway

/// Who may call each route of the gateway, with every optional route switched on.
@Suite("EP gateway route access")
struct RouteAccessTests {
    @Test("every route is bound to the access policy: status, user, rexec and policy")
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
                "GET /": "status read (public)", "GET /health": "status read (public)", "GET /ready": "status read (public)",
                "POST /user/login": "user read (public)", "POST /token": "user read (public)",
                "GET /status": "status read (protected)", "GET /status/metrics": "status read (protected)",
                "GET /status/kafka-details": "status read (protected)", "GET /status/jupyter": "status read (protected)",
                "GET /status/rexec": "rexec read (protected)",
                "GET /user/info": "user read (private, own)",
                "GET /policy": "policy read (public)",
                "GET /rexec/broker-config": "rexec read (public)",
                "POST /rexec": "rexec create (private, own)", "POST /rexec/spawn": "rexec create (private, own)",
                "DELETE /rexec/terminate": "rexec delete (private, own)", "GET /rexec/status": "rexec read (private, own)",
            ]) { $1 }, governedByPolicy: true)
    }
}
