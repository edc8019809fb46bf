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
    @Test("every route is bound to the access policy: one user's pods, every user's pods, the policy")
    func levels() throws {
        let settings = try PodsSettings.load(from: ConfigurationSource(environment: ["BACKEND_SILOSECRET": "silo-secret-0123456789"]))
        let parts = try UserPodsBackend.make(
            settings: settings, kubernetes: KubernetesClient(configuration: KubernetesConfiguration(server: URL(string: "http://127.0.0.1:9")!)),
            http: HTTPServerSettings(port: 0), replicaID: "test", logger: Logger(label: "test"), metricsRegistry: PrometheusCollectorRegistry()
        )
        var expected = standardRouteAccess
        for route in ["get_pods", "watch_create_pod", "watch_delete_pod", "get_pod_logs"] {
            expected["POST /\(route)"] = "pod read (private, in handler)"
        }
        expected["POST /create_pod"] = "pod create (private, in handler)"
        expected["POST /refresh_tokens"] = "pod update (private, in handler)"
        expected["POST /extend_pod"] = "pod update (private, in handler)"
        expected["POST /delete_pod"] = "pod delete (private, in handler)"
        expected["POST /delete_all_user"] = "pod delete (protected)"
        expected["POST /clean_all_unused"] = "pod delete (protected)"
        expected["GET /get_podip_owner"] = "pod read (protected)"
        expected["GET /policy"] = "policy read (public)"
        expectRouteAccess(parts.definition, expected, governedByPolicy: true)
    }
}
