import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing

@testable import DeployAPI

/// Who may call each route of the deploy API.
@Suite("Deploy API route access")
struct RouteAccessTests {
    @Test("every route is bound to the access policy: status, rexec, policy and kbatch")
    func levels() throws {
        let settings = try DeploySettings.load(
            from: ConfigurationSource(environment: [
                "REXEC_RUNTIME": "local", "REXEC_SERVER_SOURCE": DeployHarness.serverSource,
            ]))
        let service = try DeployAPI.definition(
            settings: settings, http: HTTPServerSettings(port: 0), logger: Logger(label: "test"), metricsRegistry: PrometheusCollectorRegistry()
        )
        expectRouteAccess(
            service,
            standardRouteAccess.merging([
                "GET /": "status read (public)", "GET /broker-config": "rexec read (public)", "GET /policy": "policy read (public)",
                "POST /": "rexec create (private, own)", "POST /spawn": "rexec create (private, own)",
                "DELETE /terminate": "rexec delete (private, own)", "GET /status": "rexec read (private, own)",
                "GET /kbatch": "status read (public)", "GET /kbatch/profiles": "job read (public)",
                "GET /kbatch/authorized": "user read (private, own)",
            ]) { $1 }, governedByPolicy: true)
    }
}
