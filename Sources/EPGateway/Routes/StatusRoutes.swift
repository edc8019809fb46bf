import Foundation
import Hummingbird
import Shared

/// `/status/*` (specs/ndp-ep.md §2.3): what the endpoint runs and how to reach its
/// integrations. Token-only, except `/status/rexec`, which needs the gate and the writer tier.
struct StatusRoutes: Sendable {
    let settings: EPSettings
    let authenticator: RequestAuthenticator
    let access: AccessPolicy
    let metrics: SystemMetrics

    var collection: RouteCollection<ServiceRequestContext> {
        let routes = RouteCollection(context: ServiceRequestContext.self)
        // The router ignores a trailing slash, so `/status` and `/status/` meet here; as
        // FastAPI does, the bare form is redirected (the client always calls `/status/`).
        routes.get("status") { request, context in
            guard context.requestPath.hasSuffix("/") else {
                return Response(status: .temporaryRedirect, headers: [.location: context.requestPath + "/"])
            }
            _ = try await authenticator.authenticate(request)
            return status().response()
        }
        routes.get("status/metrics") { request, _ in
            _ = try await authenticator.authenticate(request)
            return await systemMetrics()
        }
        routes.get("status/kafka-details") { request, _ in
            _ = try await authenticator.authenticate(request)
            return kafkaDetails()
        }
        if settings.status.jupyterEnabled {
            routes.get("status/jupyter") { request, _ in
                _ = try await authenticator.authenticate(request)
                return JSONValue.object(["jupyter_url": .string(settings.status.jupyterURL)])
            }
        }
        if settings.rexec.enabled {
            routes.get("status/rexec") { request, _ in
                try access.requireWriter(try await authenticator.authenticate(request))
                return JSONValue.object(["deployment_api_url": .string(settings.rexec.deploymentAPIURL)])
            }
        }
        return routes
    }

    /// Every key upstream reports, the optional ones only with their integration on.
    func status() -> JSONValue {
        let status = settings.status
        var body: [String: JSONValue] = [
            "api_version": .string(settings.version),
            "organization": .string(status.organization),
            "ep_name": .string(status.epName),
            "group_based_access": .bool(settings.access.groupBasedAccess),
            "local_catalog_backend": .string(status.localCatalogBackend),
            // No catalog backend is wired in yet, so nothing is connected.
            "backend_connected": false,
            "pre_ckan_enabled": .bool(status.preCkanEnabled),
            "kafka_enabled": .bool(status.kafkaEnabled),
            "jupyterlab_enabled": .bool(status.jupyterEnabled),
            "s3_enabled": .bool(status.s3Enabled),
            "rexec_enabled": .bool(settings.rexec.enabled),
            "auth_api_url": .string(settings.auth.authAPIURL.absoluteString),
            "metrics_endpoint": .string(status.metricsEndpoint),
            "metrics_interval_seconds": .number(Double(status.metricsIntervalSeconds)),
            "is_public": .bool(status.isPublic),
        ]
        if status.preCkanEnabled { body["pre_ckan_connected"] = false }
        if status.kafkaEnabled {
            body["kafka_host"] = .string(status.kafkaHost)
            body["kafka_port"] = .number(Double(status.kafkaPort))
        }
        if status.jupyterEnabled { body["jupyterlab_url"] = .string(status.jupyterURL) }
        if status.s3Enabled { body["s3_connected"] = false }
        return .object(body)
    }

    func systemMetrics() async -> JSONValue {
        [
            "public_ip": .string(settings.status.publicIP ?? "unavailable: set PUBLIC_IP"),
            "cpu": .string(await metrics.cpu()),
            "memory": .string(metrics.memory()),
            "disk": .string(metrics.disk()),
            "services": status(),
        ]
    }

    func kafkaDetails() -> JSONValue {
        let status = settings.status
        return [
            "kafka_host": .string(status.kafkaHost), "kafka_port": .number(Double(status.kafkaPort)),
            "kafka_connection": .bool(status.kafkaEnabled), "kafka_prefix": .string(status.kafkaPrefix),
            "max_streams": .number(Double(status.maxStreams)),
        ]
    }
}


extension StatusRoutes {
    static func operations(_ settings: EPSettings) -> [OpenAPIDocument.Operation] {
        let tokenErrors: [Int: OpenAPIDocument.Operation.Response] = [
            401: .init("Missing or invalid token", schema: OpenAPIDocument.errorDetail),
            502: .init("Identity provider failure", schema: OpenAPIDocument.errorDetail),
        ]
        func operation(_ path: String, _ summary: String, extra: [Int: OpenAPIDocument.Operation.Response] = [:]) -> OpenAPIDocument.Operation {
            .init("GET", path, summary: summary, tags: ["status"], security: .bearer,
                  responses: tokenErrors.merging([200: .init("OK", schema: OpenAPIDocument.anyObject)]) { $1 }.merging(extra) { $1 })
        }
        var operations: [OpenAPIDocument.Operation] = [
            .init("GET", "/status", summary: "Redirects to /status/.", tags: ["status"], security: .bearer,
                  responses: tokenErrors.merging([200: .init("Status (when called as /status/)", schema: OpenAPIDocument.anyObject), 307: .init("Redirect to /status/")]) { $1 }),
            operation("/status/metrics", "CPU, memory, disk and the status object."),
            operation("/status/kafka-details", "Kafka connection details."),
        ]
        if settings.status.jupyterEnabled { operations.append(operation("/status/jupyter", "The JupyterLab URL.")) }
        if settings.rexec.enabled {
            operations.append(operation("/status/rexec", "The rexec deployment API URL (writer tier).",
                                        extra: [403: .init("Outside the allowed groups or below the writer tier", schema: OpenAPIDocument.errorDetail)]))
        }
        return operations
    }
}
