import Access
import AccessPolicy
import Essentials
import Foundation
import Identity
import Kubernetes
import Logging
import Prometheus
import ServiceKit

/// The composition root: builds the cluster access, the lifecycle and the routes from the
/// settings, and mounts each route bound to its access-policy entity and operation. Tests call it with their
/// own settings and keep the parts they inspect.
enum UserPodsBackend {
    static let configFile = Setting<String?>.optionalText(
        "BACKEND_CONFIG_FILE", help: "Upstream's config.yaml, read below the environment (its keys are the BACKEND_* settings).",
        accepts: "file path",
        default: "./config.yaml, then ../config.yaml, when there"
    ).flag("config")

    static let binary = ServiceBinary<PodsRequestContext>(
        name: "user-pods-backend", summary: "Per-user pods (Jupyter, ssh boxes) with storage, ssh and TLS ingress on Kubernetes.",
        listener: HTTPServerSettings.Declarations(defaultPort: 8080),
        settings: [
            SettingGroup("Configuration file", [configFile]), PodsSettings.settings, CallerAuthSettings.settings, PodPolicy.settings,
            PodLifetime.settings, AuthSettings.settings, PolicySettings.settings,
        ]
    ) { launch in
        var source = launch.source
        if let path = ConfigFile.locate(explicit: try source.value(configFile)) {
            do {
                source = source.withDefaults(try ConfigFile.load(path: path))
            } catch let error as ConfigFile.Invalid {
                throw ConfigurationError(variable: "BACKEND_CONFIG_FILE", value: error.path, expected: "a readable YAML mapping (\(error.reason))")
            }
        }
        let settings = try PodsSettings.load(from: source)
        let kubernetes: KubernetesConfiguration
        do {
            kubernetes = try .automatic()
        } catch {
            throw ConfigurationError(
                variable: "KUBECONFIG", value: ProcessInfo.processInfo.environment["KUBECONFIG"] ?? "",
                expected: "a readable kubeconfig, or running in a pod (\(error))")
        }
        return try make(
            settings: settings, kubernetes: KubernetesClient(configuration: kubernetes, logger: launch.logger), http: launch.http,
            replicaID: try replicaID(source), logger: launch.logger, metricsRegistry: launch.metricsRegistry,
            policy: try PolicyStore.open(from: launch.source, logger: launch.logger)
        ).definition
    }

    struct Parts: Sendable {
        let definition: ServiceDefinition<PodsRequestContext>
        let cluster: PodsCluster
        let storage: UserStorage
        let cache: PodsCache
    }

    static func make(
        settings: PodsSettings, kubernetes: KubernetesClient, http: HTTPServerSettings, replicaID: String, logger: Logger,
        metricsRegistry: PrometheusCollectorRegistry, policy: PolicyStore = .builtIn()
    ) throws -> Parts {
        let cluster = PodsCluster(client: kubernetes, namespace: settings.namespace)
        let metrics = PodsMetrics(registry: metricsRegistry)
        let storage = UserStorage(cluster: cluster, settings: settings.storage, nfsStorageRoot: settings.nfsStorageRoot)
        let companions = PodCompanions(
            cluster: cluster, ingressDomain: settings.ingressDomain, wildcardSecret: settings.ingressWildcardSecret,
            ingressClassName: settings.ingressClassName
        )
        let tokens = PodTokens(cluster: cluster, byteLimit: settings.tokenByteLimit)
        let lifecycle = PodLifecycle(
            cluster: cluster, storage: storage, companions: companions, tokens: tokens, settings: settings, replicaID: replicaID,
            metrics: metrics, logger: logger
        )
        let fetcher = try ManifestFetcher(whitelistPattern: settings.whitelistManifestRegex, settings: settings.manifest)
        let creator = PodCreator(
            fetcher: fetcher, cluster: cluster, storage: storage, lifecycle: lifecycle, settings: settings, metrics: metrics, logger: logger)
        let users = settings.callers.auth.map { auth in
            RequestAuthenticator(provider: CachingIdentityProvider.live(settings: auth, logger: logger), dialect: .deployAPI)
        }
        let access = CallerAccess(
            authenticator: CallerAuthenticator(settings: settings.callers, users: users), policy: PolicyEnforcer(store: policy))
        let address = CallerAddress(trustedProxies: settings.trustedProxies, testingHost: settings.testingHost)
        let cache = PodsCache(cluster: cluster)
        let pods = PodRoutes(
            settings: settings, cluster: cluster, tokens: tokens, companions: companions, creator: creator, lifecycle: lifecycle,
            address: address, metrics: metrics, cache: cache
        )
        let admin = AdminRoutes(
            cluster: cluster, storage: storage, companions: companions, lifecycle: lifecycle, address: address, timeoutDelete: settings.timeoutDelete
        )
        let addresses = AddressRoutes(cluster: cluster, podSubnet: settings.podSubnet, lookupWindow: settings.podIPLookupWindow, cache: cache)
        if settings.callers.modes.contains(.none) {
            logger.warning("BACKEND_AUTHMODES includes none: any caller may act for any user, as upstream")
        }
        var http = http
        // Watches and delete_all_user wait up to timeoutCreate / timeoutDelete + 30 s.
        http.requestTimeout = max(http.requestTimeout, max(settings.timeoutCreate, settings.timeoutDelete) + .seconds(60))
        let features: [any ServiceFeature<PodsRequestContext>] = [pods, admin, addresses, PolicyFeature(store: policy)]
        let definition = ServiceDefinition(
            name: "user-pods-backend", settings: http, errorStyle: .detail,
            openAPI: OpenAPIDocument(
                title: "User pods backend", version: "1.0.0",
                description:
                    "Per-user pods (Jupyter, ssh boxes) with storage, ssh and TLS ingress; compatible with ScienceData's user_pods frontend."
            ),
            readinessChecks: settings.callers.auth.map { [.identityProvider($0)] } ?? [], metricsRegistry: metricsRegistry, features: features,
            guards: { access.middleware(for: $0) }
        )
        return Parts(definition: definition, cluster: cluster, storage: storage, cache: cache)
    }

    /// `BACKEND_REPLICAID`, else the pod's name (HOSTNAME): a restarted replica keeps its
    /// name in a StatefulSet, and takes its own unfinished creations back at once.
    static func replicaID(_ source: ConfigurationSource) throws -> String {
        try source.value(PodsSettings.replicaID) ?? ProcessInfo.processInfo.environment["HOSTNAME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ProcessInfo.processInfo.hostName
    }
}
