import Access
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
struct StatusRoutes: ServiceFeature {
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

    /// `status read` of the endpoint (by default any valid token); `/status/rexec` is `rexec read`
    /// of the endpoint's deployment (by default the gate and the writer tier).
    var routes: [Route<IdentityRequestContext>] {
        let protected = PolicyAccess.policy(.status, .read, .fixed(.protected))
        var routes: [Route<IdentityRequestContext>] = [
            // The router ignores a trailing slash, so `/status` and `/status/` meet here; the
            // bare form never gets this far (``BareStatusRedirect``).
            Route.get("/status", "What the endpoint runs; /status redirects to /status/.", access: protected).tags("status")
                .before(BareStatusRedirect()).responds(307, "Redirect to /status/ (from /status)")
                .handle { _ in await status() },
            Route.get("/status/metrics", "CPU, memory, disk and the status object.", access: protected).tags("status")
                .handle { _ in await systemMetrics() },
            Route.get("/status/kafka-details", "Kafka connection details.", access: protected).tags("status").handle { _ in kafkaDetails() },
        ]
        if settings.status.jupyterEnabled {
            routes.append(
                Route.get("/status/jupyter", "The JupyterLab URL.", access: protected).tags("status")
                    .handle { _ in JupyterDetails(jupyter_url: settings.status.jupyterURL) })
        }
        if settings.rexec.enabled {
            routes.append(
                Route.get("/status/rexec", "The rexec deployment API URL.", access: .policy(.rexec, .read, .fixed(.protected))).tags("status")
                    .handle { _ in RexecDetails(deployment_api_url: settings.rexec.deploymentAPIURL) })
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
    func status() async -> EndpointStatus {
        let status = settings.status
        var answer = EndpointStatus(
            api_version: settings.version, organization: status.organization, ep_name: status.epName,
            group_based_access: settings.access.groupBasedAccess, local_catalog_backend: settings.catalog.backend.rawValue,
            backend_connected: await probe?.connected() ?? false, pre_ckan_enabled: status.preCkanEnabled, kafka_enabled: status.kafkaEnabled,
            jupyterlab_enabled: status.jupyterEnabled, s3_enabled: settings.storage.enabled, rexec_enabled: settings.rexec.enabled,
            policy_sha256: policy.current.sha256, auth_api_url: settings.auth.authAPIURL.absoluteString, metrics_endpoint: status.metricsEndpoint,
            metrics_interval_seconds: status.metricsIntervalSeconds, is_public: status.isPublic)
        if status.preCkanEnabled { answer.pre_ckan_connected = await preCkanProbe?.connected() ?? false }
        if status.kafkaEnabled {
            answer.kafka_host = status.kafkaHost
            answer.kafka_port = status.kafkaPort
        }
        if status.jupyterEnabled { answer.jupyterlab_url = status.jupyterURL }
        if settings.storage.enabled { answer.s3_connected = await storageProbe?.connected() ?? false }
        return answer
    }

    func systemMetrics() async -> SystemMetricsAnswer {
        SystemMetricsAnswer(
            public_ip: settings.status.publicIP ?? "unavailable: set PUBLIC_IP", cpu: await metrics.cpu(), memory: metrics.memory(),
            disk: metrics.disk(), services: await status(), num_datasets: try? await catalog?.datasetCount())
    }

    func kafkaDetails() -> KafkaDetails {
        let status = settings.status
        return KafkaDetails(
            kafka_host: status.kafkaHost, kafka_port: status.kafkaPort, kafka_connection: status.kafkaEnabled, kafka_prefix: status.kafkaPrefix,
            max_streams: status.maxStreams)
    }
}

// MARK: Answers (upstream's keys)

/// `GET /status/`: the client reads `api_version` for its version check.
struct EndpointStatus: JSONAnswer {
    var api_version: String
    var organization: String
    var ep_name: String
    var group_based_access: Bool
    var local_catalog_backend: String
    var backend_connected: Bool
    var pre_ckan_enabled: Bool
    var kafka_enabled: Bool
    var jupyterlab_enabled: Bool
    var s3_enabled: Bool
    var rexec_enabled: Bool
    /// The access policy in force (ours).
    var policy_sha256: String
    var auth_api_url: String
    var metrics_endpoint: String
    var metrics_interval_seconds: Int
    var is_public: Bool
    /// With Pre-CKAN on.
    var pre_ckan_connected: Bool?
    /// With Kafka on.
    var kafka_host: String?
    var kafka_port: Int?
    /// With JupyterLab on.
    var jupyterlab_url: String?
    /// With S3 on.
    var s3_connected: Bool?
}

/// `GET /status/metrics`; `public_ip` is `PUBLIC_IP` (upstream asked api.ipify.org).
struct SystemMetricsAnswer: JSONAnswer {
    var public_ip: String
    var cpu: String
    var memory: String
    var disk: String
    var services: EndpointStatus
    /// With a local catalog.
    var num_datasets: Int?
}

struct KafkaDetails: JSONAnswer {
    var kafka_host: String
    var kafka_port: Int
    var kafka_connection: Bool
    var kafka_prefix: String
    var max_streams: Int
}

struct JupyterDetails: JSONAnswer {
    var jupyter_url: String
}

struct RexecDetails: JSONAnswer {
    var deployment_api_url: String
}
