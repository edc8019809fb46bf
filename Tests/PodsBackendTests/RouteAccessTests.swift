import Foundation
import Kubernetes
import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing

@testable import PodsBackend

/// Who may call each route of the pods backend.
@Suite("Pods backend route access")
struct RouteAccessTests {
    @Test("every route has its access level: caller (silo, HMAC or own token), admin, or silo")
    func levels() throws {
        let settings = try PodsSettings.load(from: ConfigurationSource(environment: ["BACKEND_SILOSECRET": "silo-secret-0123456789"]))
        let parts = try PodsBackend.make(
            settings: settings, kubernetes: KubernetesClient(configuration: KubernetesConfiguration(server: URL(string: "http://127.0.0.1:9")!)),
            http: HTTPServerSettings(port: 0), replicaID: "test", logger: Logger(label: "test"), metricsRegistry: PrometheusCollectorRegistry()
        )
        var expected = standardRouteAccess
        for route in ["get_pods", "create_pod", "watch_create_pod", "delete_pod", "watch_delete_pod", "get_pod_logs", "refresh_tokens"] {
            expected["POST /\(route)"] = "caller"
        }
        expected["POST /delete_all_user"] = "admin"
        expected["POST /clean_all_unused"] = "admin"
        expected["GET /get_podip_owner"] = "silo"
        expectRouteAccess(parts.definition, expected)
    }
}
