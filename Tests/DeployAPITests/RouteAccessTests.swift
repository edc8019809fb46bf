import Foundation
import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing

@testable import DeployAPI

/// Who may call each route of the deploy API.
@Suite("Deploy API route access")
struct RouteAccessTests {
    @Test(
        "every route is bound to the access policy: status, rexec, policy, and kbatch's (the job entity, the caller's own) on either runtime",
        arguments: ["local", "kubernetes"])
    func levels(runtime: String) throws {
        let kubeconfig = try writeKubeconfig(server: "http://127.0.0.1:1")
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
        let settings = try DeploySettings.load(
            from: ConfigurationSource(environment: [
                "REXEC_RUNTIME": runtime, "REXEC_KUBECONFIG_LOCAL_PATH": kubeconfig, "REXEC_SERVER_SOURCE": DeployHarness.serverSource,
            ]))
        let service = try RexecDeployAPI.definition(
            settings: settings, http: HTTPServerSettings(port: 0), logger: Logger(label: "test"), metricsRegistry: PrometheusCollectorRegistry()
        )
        let own = "(private, own)"
        expectRouteAccess(
            service,
            standardRouteAccess.merging([
                "GET /": "status read (public)", "GET /broker-config": "rexec read (public)", "GET /policy": "policy read (public)",
                "POST /": "rexec create \(own)", "POST /spawn": "rexec create \(own)", "DELETE /terminate": "rexec delete \(own)",
                "GET /status": "rexec read \(own)", "GET /kbatch": "status read (public)", "GET /kbatch/profiles": "job read (public)",
                "GET /kbatch/authorized": "user read \(own)",
                "GET /kbatch/jobs": "job read \(own)", "GET /kbatch/jobs/{name}": "job read \(own)", "GET /kbatch/cronjobs": "job read \(own)",
                "GET /kbatch/cronjobs/{name}": "job read \(own)", "GET /kbatch/pods": "job read \(own)", "GET /kbatch/pods/{name}": "job read \(own)",
                "GET /kbatch/jobs/logs/{name}": "job read \(own)", "GET /kbatch/pods/logs/{name}": "job read \(own)",
                "POST /kbatch/jobs": "job create \(own)", "POST /kbatch/cronjobs": "job create \(own)",
                "DELETE /kbatch/jobs/{name}": "job delete \(own)", "DELETE /kbatch/cronjobs/{name}": "job delete \(own)",
            ]) { $1 }, governedByPolicy: true)
        // Each kbatch route is in the OpenAPI document (paths as the client writes them, with or without the slash).
        let documented = Set(
            service.openAPI.operations.map { "\($0.method.uppercased()) \($0.path.hasSuffix("/") ? String($0.path.dropLast()) : $0.path)" })
        for route in buildRouter(service).access.all where route.path.hasPrefix("/kbatch") {
            #expect(documented.contains("\(route.method) \(route.path)"), "\(route.method) \(route.path) is not in the OpenAPI document")
        }
    }
}
