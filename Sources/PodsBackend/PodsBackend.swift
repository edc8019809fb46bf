import Foundation
import Logging
import Prometheus
import Shared

/// Builds the service from its settings; tests call this with their own.
enum PodsBackend {
    struct Parts: Sendable {
        let definition: ServiceDefinition
        let context: PodsContext
    }

    static func make(
        settings: PodsSettings, kubernetes: KubernetesClient, http: HTTPServerSettings, replicaID: String, logger: Logger,
        metricsRegistry: PrometheusCollectorRegistry
    ) throws -> Parts {
        let cluster = PodsCluster(client: kubernetes, namespace: settings.namespace)
        let metrics = PodsMetrics(registry: metricsRegistry)
        let storage = UserStorage(cluster: cluster, settings: settings.storage, nfsStorageRoot: settings.nfsStorageRoot)
        let companions = PodCompanions(
            cluster: cluster, ingressDomain: settings.ingressDomain, wildcardSecret: settings.ingressWildcardSecret, ingressClassName: settings.ingressClassName
        )
        let tokens = PodTokens(cluster: cluster, byteLimit: settings.tokenByteLimit)
        let lifecycle = PodLifecycle(
            cluster: cluster, storage: storage, companions: companions, tokens: tokens, settings: settings, replicaID: replicaID,
            metrics: metrics, logger: logger
        )
        let fetcher = try ManifestFetcher(whitelistPattern: settings.whitelistManifestRegex, settings: settings.manifest)
        let creator = PodCreator(fetcher: fetcher, cluster: cluster, storage: storage, lifecycle: lifecycle, settings: settings, metrics: metrics, logger: logger)
        let users = settings.callers.auth.map { auth in
            RequestAuthenticator(provider: CachingIdentityProvider.live(settings: auth, logger: logger), dialect: .deployAPI)
        }
        let context = PodsContext(
            settings: settings, cluster: cluster, storage: storage, companions: companions, tokens: tokens, lifecycle: lifecycle,
            creator: creator, authenticator: CallerAuthenticator(settings: settings.callers, users: users),
            address: CallerAddress(trustedProxies: settings.trustedProxies, testingHost: settings.testingHost), metrics: metrics, logger: logger
        )
        if settings.callers.modes.contains(.none) {
            logger.warning("BACKEND_AUTHMODES includes none: any caller may act for any user, as upstream")
        }
        var http = http
        // Watches and delete_all_user wait up to timeoutCreate / timeoutDelete + 30 s.
        http.requestTimeout = max(http.requestTimeout, max(settings.timeoutCreate, settings.timeoutDelete) + .seconds(60))
        var readiness = [ReadinessCheck(name: "kubernetes") { [cluster] in
            _ = try await cluster.client.list(.pods, namespace: cluster.namespace, limit: 1)
        }]
        if let auth = settings.callers.auth { readiness.append(.identityProvider(auth)) }
        let definition = ServiceDefinition(
            name: "user-pods-backend", settings: http, errorStyle: .detail,
            openAPI: OpenAPIDocument(
                title: "User pods backend", version: "1.0.0",
                description: "Per-user pods (Jupyter, ssh boxes) with storage, ssh and TLS ingress; compatible with ScienceData's user_pods frontend.",
                operations: PodsOperations.all
            ),
            readinessChecks: readiness,
            metricsRegistry: metricsRegistry,
            services: [PodSweeper(lifecycle: lifecycle, interval: settings.sweepInterval)]
        ) { router in
            router.addRoutes(PodRoutes(context: context).collection)
            router.addRoutes(AdminRoutes(context: context).collection)
            router.addRoutes(AddressRoutes(context: context).collection)
        }
        return Parts(definition: definition, context: context)
    }

    /// `BACKEND_REPLICAID`, else the pod's name (HOSTNAME): a restarted replica keeps its
    /// name in a StatefulSet, and takes its own unfinished creations back at once.
    static func replicaID(_ source: ConfigurationSource) -> String {
        source.optionalString("BACKEND_REPLICAID") ?? source.optionalString("HOSTNAME") ?? ProcessInfo.processInfo.hostName
    }
}
