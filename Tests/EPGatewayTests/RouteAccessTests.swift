import Foundation
import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing

@testable import EPGateway

/// Who may call each route of the gateway, with every optional route switched on.
@Suite("EP gateway route access")
struct RouteAccessTests {
    @Test(
        "every route is bound to the access policy: status, user, rexec, policy, the catalog, services, S3 storage, access requests, staging, the CKAN action API"
    )
    func levels() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("routes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let settings = try EPSettings.load(
            from: ConfigurationSource(environment: [
                "REXEC_CONNECTION": "True", "REXEC_DEPLOYMENT_INTERNAL_URL": "http://127.0.0.1:9/rexec", "USE_JUPYTERLAB": "True",
                "S3_ENABLED": "True", "STAGING_ENABLED": "true", "STAGING_SOURCE_ROOT": folder.path, "STAGING_TARGET_ROOT": folder.path,
            ]))
        let catalog = try await SQLiteCatalogStore.open(path: folder.appendingPathComponent("catalog.sqlite").path, logger: Logger(label: "test"))
        let service = NDPEndpointAPI.definition(
            settings: settings, http: HTTPServerSettings(port: 0), logger: Logger(label: "test"), metricsRegistry: PrometheusCollectorRegistry(),
            catalog: catalog.store
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
                "GET /organization": "organization read (public, in handler)", "POST /organization": "organization create (public)",
                "DELETE /organization/{name}": "organization delete (public, in handler)",
                "POST /dataset": "dataset create (public, in handler)", "PUT /dataset/{id}": "dataset update (public, in handler)",
                "PATCH /dataset/{id}": "dataset update (public, in handler)",
                "POST /dataset/{id}/publish": "dataset update (public, in handler)", "DELETE /resource": "dataset delete (public, in handler)",
                "GET /search": "dataset read (public, in handler)", "POST /search": "dataset read (public, in handler)",
                "GET /resource/{id}": "resource read (public, in handler)",
                "GET /resources/search": "resource read (public, in handler)", "PATCH /resource/{id}": "resource update (public, in handler)",
                "PATCH /dataset/{id}/resource/{resource}": "resource update (public, in handler)",
                "DELETE /resource/{id}": "resource delete (public, in handler)",
                "DELETE /dataset/{id}/resource/{resource}": "resource delete (public, in handler)",
                "POST /kafka": "dataset create (public, in handler)", "PUT /kafka/{id}": "dataset update (public, in handler)",
                "PATCH /kafka/{id}": "dataset update (public, in handler)", "POST /url": "dataset create (public, in handler)",
                "PUT /url/{id}": "dataset update (public, in handler)", "PATCH /url/{id}": "dataset update (public, in handler)",
                "POST /s3": "dataset create (public, in handler)", "PUT /s3/{id}": "dataset update (public, in handler)",
                "PATCH /s3/{id}": "dataset update (public, in handler)", "POST /services": "service create (public, in handler)",
                "PUT /services/{id}": "service update (public, in handler)", "PATCH /services/{id}": "service update (public, in handler)",
                "GET /s3/buckets": "storage read (public)", "GET /s3/buckets/{bucket}": "storage read (public)",
                "POST /s3/buckets": "storage create (public)", "DELETE /s3/buckets/{bucket}": "storage delete (public)",
                "GET /s3/objects/{bucket}": "storage read (public)", "GET /s3/objects/{bucket}/**": "storage read (public)",
                "POST /s3/objects/{bucket}": "storage create (public)", "DELETE /s3/objects/{bucket}/**": "storage delete (public)",
                "POST /s3/objects/{bucket}/**": "storage read (public, in handler)",
                "GET /services/health": "service read (protected)",
                "POST /user/access-requests": "access_request create (private, own)",
                "GET /user/access-requests": "access_request read (private)",
                "POST /user/access-requests/{id}/approve": "access_request update (private)",
                "POST /user/access-requests/{id}/reject": "access_request update (private)",
                "POST /stage-data": "staging create (private, own)", "GET /stage-data/jobs": "staging read (private, in handler)",
                "GET /stage-data/jobs/{id}": "staging read (private, in handler)",
                "DELETE /stage-data/jobs/{id}": "staging delete (private, in handler)",
                "GET /config/allowed-methods": "staging read (public)", "GET /config": "staging read (protected)",
            ]) { $1 }
            .merging(
                // CKAN's action API: each action asks the policy about what it touches.
                ["GET", "POST"].flatMap { method in
                    ["/api/3/action/{action}", "/api/action/{action}", "/3/action/{action}", "/action/{action}"].map {
                        ("\(method) \($0)", "dataset read (public, in handler)")
                    }
                }
            ) { $1 }
            .merging(
                ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].flatMap { method in
                    ["/services/redirect/{name}", "/services/redirect/{name}/**"].map { ("\(method) \($0)", "service read (public, in handler)") }
                }
            ) { $1 }, governedByPolicy: true)
        try await catalog.store.close()
    }
}
