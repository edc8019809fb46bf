import Access
import AccessPolicy
import HummingbirdCore
import Identity
import Logging
import Prometheus
import RexecWire
import ServiceKit
import ServiceLifecycle

/// The composition root: builds the gateway's parts from its settings and mounts each
/// feature's routes bound to the access-policy entity and operation they perform. Tests call it with their own settings.
enum NDPEndpointAPI {
    static let binary = ServiceBinary<IdentityRequestContext>(
        name: "ndp-ep-api",
        summary: "The NDP endpoint API: identity, the data catalog, services, S3 storage, access requests, staging, federation and rexec.",
        // Upstream's nginx serves the API at {ROOT_PATH}/ and {ROOT_PATH}/api/.
        listener: HTTPServerSettings.Declarations(defaultPort: 8003, extraRootPaths: { root in [root + "/api"] }),
        settings: [
            EPSettings.settings, EPSettings.StatusSettings.settings, CatalogSettings.settings, FederationSettings.settings, StorageSettings.settings,
            StagingSettings.settings, EPSettings.RexecSettings.settings, ConsoleSettings.settings, MCPSettings.settings, AuthSettings.settings,
            AccessSettings.settings,
            PolicySettings.settings,
        ]
    ) { launch in
        let settings = try EPSettings.load(from: launch.source)
        let policy = try PolicyStore.open(from: launch.source, logger: launch.logger)
        return definition(
            settings: settings, http: launch.http, logger: launch.logger, metricsRegistry: launch.metricsRegistry,
            policy: policy, database: try await Catalog.open(settings.catalog, logger: launch.logger)
        )
    }

    static func definition(
        settings: EPSettings, http: HTTPServerSettings, logger: Logger, metricsRegistry: PrometheusCollectorRegistry,
        policy: PolicyStore = .builtIn(), database: CatalogDatabase? = nil
    ) -> ServiceDefinition<IdentityRequestContext> {
        let identities = CachingIdentityProvider.live(settings: settings.auth, logger: logger)
        let access = EndpointAccess(
            authenticator: RequestAuthenticator(
                provider: identities,
                dialect: .epGateway,
                staticToken: settings.testToken.map { RequestAuthenticator.StaticToken(token: $0, identity: EPSettings.testIdentity) }
            ),
            settings: settings.access,
            policy: policy
        )
        let storage = settings.storage.enabled ? StorageRoutes(settings: settings.storage, access: access) : nil
        let catalog = database.map { CatalogFeature(database: $0, settings: settings, access: access) }
        // The capabilities kept in the endpoint's own database (not in a remote CKAN).
        let documents = database?.documents
        var features: [any ServiceFeature<IdentityRequestContext>] = [
            RootRoute.feature(access: .policy(.status, .read, .fixed(.public))),
            LoginRoutes(authAPIURL: settings.auth.authAPIURL, timeout: settings.auth.timeout),
            StatusRoutes(
                settings: settings, metrics: SystemMetrics(), policy: policy, catalog: database?.catalog, storage: storage?.client,
                preCkan: catalog?.catalogs.preCkan),
            UserRoutes(tiers: access.tiers),
            AccessRequestRoutes(
                store: settings.accessRequestsEnabled ? documents.map { AccessRequestStore(database: $0) } : nil,
                aai: AAIClient(authAPIURL: settings.auth.authAPIURL), endpointGroup: settings.access.endpointUUID ?? "",
                accessChanged: { subject in await identities.forget(subject: subject) }),
            PolicyFeature(store: policy),
            PermissionRoutes(access: access, catalog: database?.catalog),
        ]
        if settings.console.enabled {
            features.append(
                ConsoleRoutes(
                    settings: settings.console, rootPaths: http.rootPaths, version: settings.version, status: settings.status,
                    capabilities: .init(
                        staging: documents != nil && settings.staging.enabled,
                        rexec: settings.rexec.enabled && settings.rexec.internalURL != nil, mcp: settings.mcp.enabled)))
            if settings.console.oidc.usable, settings.console.oidc.confidential {
                features.append(ConsoleSignInRoutes(settings: settings.console.oidc, timeout: settings.auth.timeout))
            }
        }
        let inProcess = InProcessCalls<IdentityRequestContext>()
        if settings.mcp.enabled {
            let server = MCPServer(
                settings: settings.mcp, name: "ndp-ep-api", title: settings.swaggerTitle, version: settings.version, calls: inProcess,
                platformTools: MCPPlatformTool.available(
                    staging: documents != nil && settings.staging.enabled, kbatch: settings.mcp.kbatchURL, pods: settings.mcp.podsURL))
            features.append(
                MCPRoutes(
                    server: server,
                    sessions: documents.map { RememberingMCPSessionStore(DatabaseMCPSessionStore(database: $0)) } ?? MemoryMCPSessionStore(),
                    settings: settings.mcp))
        }
        if let catalog { features.append(catalog) }
        if let storage { features.append(storage) }
        if let documents, settings.staging.enabled {
            features.append(StagingRoutes(settings: settings.staging, store: StagingJobStore(database: documents), access: access, logger: logger))
        }
        if settings.rexec.enabled, let internalURL = settings.rexec.internalURL {
            features.append(
                RexecRoutes(
                    delegate: RexecDelegate(baseURL: internalURL, timeout: settings.rexec.timeout, logger: logger),
                    spawnWaitTimeout: settings.rexec.spawnWaitTimeout, deployAPI: internalURL))
        }
        // Upstream's /ready reports every dependency the features above check, and the
        // integrations this endpoint does not run as disabled.
        let identityProvider = ReadinessCheck.identityProvider(settings.auth)
        features.append(
            EPHealthRoutes(
                checks: [identityProvider] + features.flatMap(\.readinessChecks), disabled: ["local_catalog", "pre_ckan", "minio", "kafka"]))
        var definition = ServiceDefinition<IdentityRequestContext>(
            name: "ndp-ep-api", settings: http, errorStyle: .envelope,
            openAPI: OpenAPIDocument(title: settings.swaggerTitle, version: settings.version, description: settings.swaggerDescription),
            readinessChecks: [identityProvider], metricsRegistry: metricsRegistry, features: features, guards: { access.middleware(for: $0) }
        )
        definition.inProcess = inProcess
        if let webSockets = catalog?.registeredServices.webSockets(rootPaths: http.rootPaths) {
            definition.server = HTTPServerBuilder.http1WebSocketUpgradeQuiescing(headerTimeout: http.headerTimeout) { request, _, logger in
                try await webSockets.shouldUpgrade(request, logger: logger)
            }
        }
        return definition
    }
}
