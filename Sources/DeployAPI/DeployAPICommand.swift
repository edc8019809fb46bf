import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Prometheus
import Shared

/// rexec-deploy-api: creates, reports on and tears down each user's rexec server, on
/// Kubernetes or as local processes.
@main
struct DeployAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rexec-deploy-api",
        abstract: "Spawn, report on and terminate per-user rexec servers."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("runtime"), help: "Where servers run: local (child processes) or kubernetes (env REXEC_RUNTIME).")
    var runtime: String?

    func run() async throws {
        let spec = LaunchSpec(name: "rexec-deploy-api", defaultPort: 8000, rootPathVariables: ["APP_ROOT_PATH", "ROOT_PATH"])
        try await ServiceLauncher.run(spec, options: common, extraOverrides: runtime.map { ["REXEC_RUNTIME": $0] } ?? [:]) { launch in
            let settings = try DeploySettings.load(from: launch.source)
            return try DeployAPI.definition(settings: settings, http: launch.http, logger: launch.logger, metricsRegistry: launch.metricsRegistry)
        }
    }
}

/// Builds the service from its settings; tests call this with their own.
enum DeployAPI {
    static func definition(
        settings: DeploySettings, http: HTTPServerSettings, logger: Logger, metricsRegistry: PrometheusCollectorRegistry
    ) throws -> ServiceDefinition {
        let runtime = try makeRuntime(settings, logger: logger)
        let broker = settings.broker.statusURL.map { BrokerStatusClient(baseURL: $0) }
        let manager = ServerManager(runtime: runtime, broker: broker, metrics: DeployMetrics(registry: metricsRegistry), logger: logger)
        let authenticator = RequestAuthenticator(
            provider: CachingIdentityProvider.live(settings: settings.auth, logger: logger), dialect: .deployAPI
        )
        let servers = ServerRoutes(
            manager: manager, authenticator: authenticator, access: AccessPolicy(settings: settings.access),
            userKeyLength: runtime.userKeyLength, spawnWaitTimeout: settings.lifecycle.spawnWaitTimeout
        )
        let brokerConfig = BrokerConfigRoutes(runtime: runtime, publicURL: settings.broker.publicURL)
        var readiness: [ReadinessCheck] = [.identityProvider(settings.auth)] + runtime.readinessChecks
        if let statusURL = settings.broker.statusURL { readiness.append(.service("broker", baseURL: statusURL)) }
        return ServiceDefinition(
            name: "rexec-deploy-api", settings: http, errorStyle: .detail,
            openAPI: OpenAPIDocument(
                title: settings.swaggerTitle, version: settings.swaggerVersion, description: settings.swaggerDescription,
                operations: DeployAPIOperations.all
            ),
            readinessChecks: readiness,
            metricsRegistry: metricsRegistry,
            // A service that returns ends the whole group, so the reaper only runs when it has work.
            services: runtime.services + (settings.lifecycle.reaperEnabled ? [IdleReaper(manager: manager, settings: settings.lifecycle, logger: logger)] : [])
        ) { router in
            RootRoute.register(on: router)
            router.addRoutes(servers.collection)
            router.addRoutes(brokerConfig.collection)
        }
    }

    static func makeRuntime(_ settings: DeploySettings, logger: Logger) throws -> any ServerRuntime {
        let code = try ServerCode.load(from: settings.serverSource)
        switch settings.runtime {
        case .kubernetes:
            return KubernetesRuntime(
                kube: KubernetesClient(configuration: try kubernetesConfiguration(settings.kubernetes)), settings: settings.kubernetes,
                broker: settings.broker, heartbeatInterval: settings.heartbeatInterval, serverCode: code.files, logger: logger
            )
        case .local:
            return try LocalRuntime(settings: settings.local, broker: settings.broker, heartbeatInterval: settings.heartbeatInterval, code: code, logger: logger)
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
