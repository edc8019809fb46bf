import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// `/status/*` (docs/specs/ndp-ep.md §2.3): what the endpoint runs and how to reach its
/// integrations: `status read` of the endpoint (by default any valid token), except
/// `/status/rexec`, which is `rexec read` of the endpoint's deployment (by default the gate and
/// the writer tier).
struct StatusRoutes: Sendable {
    let settings: EPSettings
    let metrics: SystemMetrics
    /// `/status/` reports the SHA-256 of the policy in force.
    let policy: PolicyStore
    /// The local catalog, when on: `backend_connected` and `num_datasets` ask it.
    let catalog: (any CatalogStore)?
    private let probe: ConnectionProbe?
    /// The S3 server, when enabled and configured: `s3_connected` asks it.
    private let storageProbe: ConnectionProbe?
    /// Pre-CKAN, when enabled: `pre_ckan_connected` asks it.
    private let preCkanProbe: ConnectionProbe?

    init(
        settings: EPSettings, metrics: SystemMetrics, policy: PolicyStore, catalog: (any CatalogStore)?, storage: S3Client? = nil,
        preCkan: (any CatalogStore)? = nil
    ) {
        self.settings = settings
        self.metrics = metrics
        self.policy = policy
        self.catalog = catalog
        self.probe = catalog.map { store in ConnectionProbe { (try? await store.ping()) != nil } }
        self.storageProbe = storage.map { client in ConnectionProbe { await client.reachable() } }
        self.preCkanProbe = preCkan.map { store in ConnectionProbe { (try? await store.ping()) != nil } }
    }

    var endpointRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        // The router ignores a trailing slash, so `/status` and `/status/` meet here; the
        // bare form never gets this far (``BareStatusRedirect``).
        routes.get("status") { _, _ in await status() }
        routes.get("status/metrics") { _, _ in await systemMetrics() }
        routes.get("status/kafka-details") { _, _ in kafkaDetails() }
        if settings.status.jupyterEnabled {
            routes.get("status/jupyter") { _, _ in JSONValue.object(["jupyter_url": .string(settings.status.jupyterURL)]) }
        }
        return routes
    }

    var rexecRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        if settings.rexec.enabled {
            routes.get("status/rexec") { _, _ in JSONValue.object(["deployment_api_url": .string(settings.rexec.deploymentAPIURL)]) }
        }
        return routes
    }

    /// FastAPI redirects `/status` to `/status/` (the client always calls the latter) before
    /// any dependency runs, so the redirect comes before the token check.
    struct BareStatusRedirect: RouterMiddleware {
        func handle(
            _ request: Request, context: IdentityRequestContext, next: (Request, IdentityRequestContext) async throws -> Response
        ) async throws -> Response {
            guard request.uri.path == "/status", !context.requestPath.hasSuffix("/") else { return try await next(request, context) }
            return Response(status: .temporaryRedirect, headers: [.location: context.requestPath + "/"])
        }
    }

    /// Every key upstream reports, the optional ones only with their integration on.
    func status() async -> JSONValue {
        let status = settings.status
        let connected = await probe?.connected() ?? false
        var body: [String: JSONValue] = [
            "api_version": .string(settings.version),
            "organization": .string(status.organization),
            "ep_name": .string(status.epName),
            "group_based_access": .bool(settings.access.groupBasedAccess),
            "local_catalog_backend": .string(settings.catalog.backend.rawValue),
            "backend_connected": .bool(connected),
            "pre_ckan_enabled": .bool(status.preCkanEnabled),
            "kafka_enabled": .bool(status.kafkaEnabled),
            "jupyterlab_enabled": .bool(status.jupyterEnabled),
            "s3_enabled": .bool(settings.storage.enabled),
            "rexec_enabled": .bool(settings.rexec.enabled),
            "policy_sha256": .string(policy.current.sha256),
            "auth_api_url": .string(settings.auth.authAPIURL.absoluteString),
            "metrics_endpoint": .string(status.metricsEndpoint),
            "metrics_interval_seconds": .number(Double(status.metricsIntervalSeconds)),
            "is_public": .bool(status.isPublic),
        ]
        if status.preCkanEnabled { body["pre_ckan_connected"] = .bool(await preCkanProbe?.connected() ?? false) }
        if status.kafkaEnabled {
            body["kafka_host"] = .string(status.kafkaHost)
            body["kafka_port"] = .number(Double(status.kafkaPort))
        }
        if status.jupyterEnabled { body["jupyterlab_url"] = .string(status.jupyterURL) }
        if settings.storage.enabled { body["s3_connected"] = .bool(await storageProbe?.connected() ?? false) }
        return .object(body)
    }

    func systemMetrics() async -> JSONValue {
        var body: [String: JSONValue] = [
            "public_ip": .string(settings.status.publicIP ?? "unavailable: set PUBLIC_IP"),
            "cpu": .string(await metrics.cpu()),
            "memory": .string(metrics.memory()),
            "disk": .string(metrics.disk()),
            "services": await status(),
        ]
        if let count = try? await catalog?.datasetCount() { body["num_datasets"] = .number(Double(count)) }
        return .object(body)
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
            .init(
                "GET", path, summary: summary, tags: ["status"], security: .bearer,
                responses: tokenErrors.merging([200: .init("OK", schema: OpenAPIDocument.anyObject)]) { $1 }.merging(extra) { $1 })
        }
        var operations: [OpenAPIDocument.Operation] = [
            .init(
                "GET", "/status", summary: "Redirects to /status/.", tags: ["status"], security: .bearer,
                responses: tokenErrors.merging([
                    200: .init("Status (when called as /status/)", schema: OpenAPIDocument.anyObject), 307: .init("Redirect to /status/"),
                ]) { $1 }),
            operation("/status/metrics", "CPU, memory, disk and the status object."),
            operation("/status/kafka-details", "Kafka connection details."),
        ]
        if settings.status.jupyterEnabled { operations.append(operation("/status/jupyter", "The JupyterLab URL.")) }
        if settings.rexec.enabled {
            operations.append(
                operation(
                    "/status/rexec", "The rexec deployment API URL (policy: rexec read, protected).",
                    extra: [
                        403: .init(
                            "Refused by the access policy (by default: outside the allowed groups or below the writer tier)",
                            schema: OpenAPIDocument.errorDetail)
                    ]))
        }
        return operations
    }
}
