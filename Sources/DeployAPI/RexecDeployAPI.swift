import Access
import AccessPolicy
import Foundation
import Hummingbird
import Identity
import Kubernetes
import Logging
import Prometheus
import RexecWire
import ServiceKit

/// The composition root: builds the runtime, the manager and the routes from the settings,
/// and mounts each route bound to its access-policy entity and operation. Tests call it with their own settings.
enum RexecDeployAPI {
    static let binary = ServiceBinary<IdentityRequestContext>(
        name: "rexec-deploy-api", summary: "Spawn, report on and terminate per-user rexec servers, and run kbatch-compatible batch jobs.",
        listener: HTTPServerSettings.Declarations(defaultPort: 8000, rootPathVariables: ["APP_ROOT_PATH", "ROOT_PATH"]),
        settings: [
            DeploySettings.settings, KubernetesRuntimeSettings.settings, LocalRuntimeSettings.settings, KbatchSettings.settings,
            AuthSettings.settings,
            AccessSettings.settings, PolicySettings.settings,
        ]
    ) { launch in
        try definition(
            settings: try DeploySettings.load(from: launch.source), http: launch.http, logger: launch.logger,
            metricsRegistry: launch.metricsRegistry, policy: try PolicyStore.open(from: launch.source, logger: launch.logger))
    }

    static func definition(
        settings: DeploySettings, http: HTTPServerSettings, logger: Logger, metricsRegistry: PrometheusCollectorRegistry,
        policy: PolicyStore = .builtIn()
    ) throws -> ServiceDefinition<IdentityRequestContext> {
        let runtime = try makeRuntime(settings, logger: logger)
        let broker = settings.broker.statusURL.map { BrokerStatusClient(baseURL: $0) }
        let manager = ServerManager(runtime: runtime, broker: broker, metrics: DeployMetrics(registry: metricsRegistry), logger: logger)
        let access = EndpointAccess(
            authenticator: RequestAuthenticator(provider: CachingIdentityProvider.live(settings: settings.auth, logger: logger), dialect: .deployAPI),
            settings: settings.access,
            policy: policy
        )
        var servers = ServerRoutes(
            manager: manager, gate: access.gate, userKeyLength: runtime.userKeyLength, spawnWaitTimeout: settings.lifecycle.spawnWaitTimeout,
            brokerConfig: BrokerConfigRoutes(runtime: runtime, publicURL: settings.broker.publicURL)
        )
        servers.readinessChecks = runtime.readinessChecks + (settings.broker.statusURL.map { [.service("broker", baseURL: $0)] } ?? [])
        // A service that returns ends the whole group, so the reaper only runs when it has work.
        servers.services =
            runtime.services + (settings.lifecycle.reaperEnabled ? [IdleReaper(manager: manager, settings: settings.lifecycle, logger: logger)] : [])
        var features: [any ServiceFeature<IdentityRequestContext>] = [
            RootRoute.feature(access: .policy(.status, .read, .fixed(.public))), servers, PolicyFeature(store: policy),
        ]
        if settings.kbatch.enabled {
            let metrics = JobMetrics(registry: metricsRegistry)
            features.append(
                KbatchFeature(settings: settings.kbatch, jobs: try makeJobBackend(settings, logger: logger, metrics: metrics), metrics: metrics))
        }
        return ServiceDefinition(
            name: "rexec-deploy-api", settings: http, errorStyle: .detail,
            openAPI: OpenAPIDocument(title: settings.swaggerTitle, version: settings.swaggerVersion, description: settings.swaggerDescription),
            readinessChecks: [.identityProvider(settings.auth)], metricsRegistry: metricsRegistry, features: features,
            guards: { access.middleware(for: $0) }
        )
    }

    static func makeRuntime(_ settings: DeploySettings, logger: Logger) throws -> any ServerRuntime {
        let code = try ServerCode.load(from: settings.serverSource)
        switch settings.runtime {
        case .kubernetes:
            return KubernetesRuntime(
                kube: KubernetesClient(configuration: try kubernetesConfiguration(settings.kubernetes), timeout: settings.kubernetes.apiTimeout),
                settings: settings.kubernetes,
                broker: settings.broker, heartbeatInterval: settings.heartbeatInterval, serverCode: code.files, logger: logger
            )
        case .local:
            return try LocalRuntime(
                settings: settings.local, broker: settings.broker, heartbeatInterval: settings.heartbeatInterval, code: code, logger: logger)
        }
    }

    /// Where kbatch's jobs run: beside the rexec servers, on the cluster or on this machine.
    static func makeJobBackend(_ settings: DeploySettings, logger: Logger, metrics: JobMetrics) throws -> any KbatchBackend {
        switch settings.runtime {
        case .kubernetes:
            return KubernetesJobs(
                kube: KubernetesClient(configuration: try kubernetesConfiguration(settings.kubernetes), timeout: settings.kubernetes.apiTimeout),
                logger: logger,
                rules: settings.kbatch.namespaces)
        case .local:
            let local = settings.kbatch.local
            return try LocalJobs(
                settings: LocalJobs.Settings(
                    directory: settings.local.stateDirectory.appendingPathComponent("kbatch"), timeout: local.timeout,
                    logLimitBytes: local.logLimitBytes, codeLimitBytes: local.codeLimitBytes, maxActiveJobs: settings.kbatch.namespaces.maxActiveJobs),
                logger: logger, metrics: metrics)
        }
    }

    /// Upstream's order: in-cluster when asked, then the kubeconfig candidates that exist,
    /// then `KUBECONFIG` / in-cluster detection / `~/.kube/config`.
    static func kubernetesConfiguration(_ settings: KubernetesRuntimeSettings) throws -> KubernetesConfiguration {
        do {
            if settings.inCluster { return try .inCluster() }
            if let path = settings.kubeconfigCandidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
                return try .kubeconfig(path: path)
            }
            return try .automatic()
        } catch {
            throw ConfigurationError(
                variable: "REXEC_KUBECONFIG_MOUNT_PATH", value: settings.kubeconfigCandidates.first ?? "",
                expected: "a readable kubeconfig, REXEC_USE_IN_CLUSTER_CONFIG=true in a pod, or KUBECONFIG (\(error))"
            )
        }
    }
}
