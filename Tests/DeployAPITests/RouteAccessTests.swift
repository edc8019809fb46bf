import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing

@testable import DeployAPI

/// Who may call each route of the deploy API.
@Suite("Deploy API route access")
struct RouteAccessTests {
    @Test("every route has its access level: open, or member (token and group gate)")
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
                "GET /": "open", "GET /broker-config": "open",
                "POST /": "member", "POST /spawn": "member", "DELETE /terminate": "member", "GET /status": "member",
            ]) { $1 })
    }
}
