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
            StagingSettings.settings, EPSettings.RexecSettings.settings, AuthSettings.settings, AccessSettings.settings, PolicySettings.settings,
        ]
    ) { launch in
        let settings = try EPSettings.load(from: launch.source)
        let policy = try PolicyStore.open(from: launch.source, logger: launch.logger)
        return definition(
            settings: settings, http: launch.http, logger: launch.logger, metricsRegistry: launch.metricsRegistry,
            policy: policy, catalog: try await Catalog.open(settings.catalog, logger: launch.logger)
        )
    }

    static func definition(
        settings: EPSettings, http: HTTPServerSettings, logger: Logger, metricsRegistry: PrometheusCollectorRegistry,
        policy: PolicyStore = .builtIn(), catalog: (any CatalogStore)? = nil
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
        var storage: StorageRoutes?
        var streamingPaths: [String] = []
        if settings.storage.enabled {
            storage = StorageRoutes(settings: settings.storage, access: access)
            streamingPaths += StorageRoutes.streamingPaths
        }
        // The remote catalogs `server=global` and `server=pre_ckan` name, when configured.
        let globalCatalog = settings.federation.global.map { CKANCatalogStore(client: CKANClient($0)) }
        let preCkan = settings.federation.preCkan.map { CKANCatalogStore(client: CKANClient($0)) }
        let status = StatusRoutes(
            settings: settings, metrics: SystemMetrics(), policy: policy, catalog: catalog, storage: storage?.client, preCkan: preCkan)
        let user = UserRoutes(tiers: access.tiers)
        let login = LoginRoutes(authAPIURL: settings.auth.authAPIURL, timeout: settings.auth.timeout)
        let accessRequests = AccessRequestRoutes(
            store: settings.accessRequestsEnabled ? catalog as? any AccessRequestStore : nil, aai: AAIClient(authAPIURL: settings.auth.authAPIURL),
            endpointGroup: settings.access.endpointUUID ?? "", accessChanged: { subject in await identities.forget(subject: subject) })

        let serviceRoutes = catalog.map { ServiceRoutes(store: $0, access: access) }
        let staging = (catalog as? any StagingJobStore).flatMap { store in
            settings.staging.enabled ? StagingRoutes(settings: settings.staging, store: store, access: access, logger: logger) : nil
        }
        var readiness: [ReadinessCheck] = [.identityProvider(settings.auth)]
        var operations =
            [RootRoute.operation] + EPHealthRoutes.operations + StatusRoutes.operations(settings) + LoginRoutes.operations
            + UserRoutes.operations + AccessRequestRoutes.operations + [PolicyOperations.read]
        var services: [any Service] = [PolicyReloader(store: policy)]
        if let catalog {
            readiness.append(ReadinessCheck(name: "local_catalog") { try await catalog.ping() })
            operations +=
                CatalogOperations.organizations + CatalogOperations.datasets + CatalogOperations.registrations + CatalogOperations.resources
                + ServiceOperations.all + ActionOperations.all
            streamingPaths += ServiceRoutes.streamingPaths
            services.append(Catalog.Closer(store: catalog))
        }
        if let preCkan { readiness.append(ReadinessCheck(name: "pre_ckan") { try await preCkan.ping() }) }
        if let storage {
            operations += StorageOperations.all
            let client = storage.client
            readiness.append(
                ReadinessCheck(name: "minio") {
                    guard let client else { throw StorageError.notConfigured }
                    _ = try await client.listBuckets()
                })
        }
        if let staging {
            operations += StagingOperations.all
            streamingPaths += StagingRoutes.streamingPaths
            services.append(staging.runner)
        }
        var rexec: RexecRoutes?
        if settings.rexec.enabled, let internalURL = settings.rexec.internalURL {
            rexec = RexecRoutes(
                delegate: RexecDelegate(baseURL: internalURL, timeout: settings.rexec.timeout, logger: logger),
                spawnWaitTimeout: settings.rexec.spawnWaitTimeout
            )
            operations += RexecRoutes.operations
            readiness.append(.service("rexec_deployment_api", baseURL: internalURL))
        }
        let health = EPHealthRoutes(checks: readiness, disabled: ["local_catalog", "pre_ckan", "minio", "kafka"])
        var definition = ServiceDefinition<IdentityRequestContext>(
            name: "ndp-ep-api", settings: http, errorStyle: .envelope,
            openAPI: OpenAPIDocument(
                title: settings.swaggerTitle, version: settings.version, description: settings.swaggerDescription, operations: operations),
            readinessChecks: readiness,
            metricsRegistry: metricsRegistry,
            services: services
        ) { [rexec, storage, serviceRoutes, staging] routes in
            let endpoint = routes.group(access.guarding(PolicyBinding(.status, .read, .fixed(.public))))
            RootRoute.register(on: endpoint)
            endpoint.addRoutes(health.collection)
            routes.group(access.guarding(PolicyBinding(.user, .read, .fixed(.public)))).addRoutes(login.collection)
            // `/status` answers 307 to `/status/` before asking for a token, as FastAPI does.
            routes.group(access.guarding(PolicyBinding(.status, .read, .fixed(.protected))), before: [StatusRoutes.BareStatusRedirect()])
                .addRoutes(status.endpointRoutes)
            routes.group(access.guarding(PolicyBinding(.rexec, .read, .fixed(.protected)))).addRoutes(status.rexecRoutes)
            routes.group(access.guarding(PolicyBinding(.user, .read, .callersOwn))).addRoutes(user.collection)
            routes.group(access.guarding(AccessRequestRoutes.createBinding)).addRoutes(accessRequests.createRoutes)
            routes.group(access.guarding(AccessRequestRoutes.readBinding)).addRoutes(accessRequests.readRoutes)
            routes.group(access.guarding(AccessRequestRoutes.decideBinding)).addRoutes(accessRequests.decideRoutes)
            PolicyRoutes(store: policy).register(on: routes.group(access.guarding(PolicyRoutes<IdentityRequestContext>.binding)))
            if let catalog {
                let catalogs = CatalogServers(local: catalog, global: globalCatalog, preCkan: preCkan)
                let organizations = OrganizationRoutes(catalogs: catalogs, access: access)
                routes.group(access.guarding(OrganizationRoutes.listBinding)).addRoutes(organizations.listRoutes)
                routes.group(access.guarding(OrganizationRoutes.createBinding)).addRoutes(organizations.createRoutes)
                routes.group(access.guarding(OrganizationRoutes.deleteBinding)).addRoutes(organizations.deleteRoutes)
                let datasets = DatasetRoutes(
                    catalogs: catalogs, access: access, endpointOrganization: settings.status.organization,
                    publishOrganization: settings.federation.preCkanOrganization)
                routes.group(access.guarding(DatasetRoutes.createBinding)).addRoutes(datasets.createRoutes)
                routes.group(access.guarding(DatasetRoutes.updateBinding)).addRoutes(datasets.updateRoutes)
                routes.group(access.guarding(DatasetRoutes.deleteBinding)).addRoutes(datasets.deleteRoutes)
                let resources = ResourceRoutes(catalogs: catalogs, access: access, datasets: datasets)
                routes.group(access.guarding(ResourceRoutes.readBinding)).addRoutes(resources.readRoutes)
                routes.group(access.guarding(ResourceRoutes.updateBinding)).addRoutes(resources.updateRoutes)
                routes.group(access.guarding(ResourceRoutes.deleteBinding)).addRoutes(resources.deleteRoutes)
                routes.group(access.guarding(SearchRoutes.binding)).addRoutes(SearchRoutes(catalogs: catalogs, access: access).collection)
                let actions = ActionRoutes(
                    store: catalog, access: access, endpointOrganization: settings.status.organization,
                    site: ActionRoutes.Site(title: settings.status.epName, description: settings.swaggerDescription, version: settings.version))
                routes.group(access.guarding(ActionRoutes.binding, tokens: ActionRoutes.tokens), before: [ActionEnvelope.Middleware()])
                    .addRoutes(actions.collection)
                let services = serviceRoutes!
                routes.group(access.guarding(ServiceRoutes.proxyBinding)).addRoutes(services.proxyRoutes)
                routes.group(access.guarding(ServiceRoutes.healthBinding)).addRoutes(services.healthRoutes)
                for kind in RegistrationKind.all {
                    let registrations = RegistrationRoutes(
                        kind: kind, catalogs: catalogs, access: access, endpointOrganization: settings.status.organization)
                    routes.group(access.guarding(registrations.createBinding)).addRoutes(registrations.createRoutes)
                    routes.group(access.guarding(registrations.updateBinding)).addRoutes(registrations.updateRoutes)
                }
            }
            if let storage {
                routes.group(access.guarding(StorageRoutes.readBinding)).addRoutes(storage.readRoutes)
                routes.group(access.guarding(StorageRoutes.createBinding)).addRoutes(storage.createRoutes)
                routes.group(access.guarding(StorageRoutes.deleteBinding)).addRoutes(storage.deleteRoutes)
                routes.group(access.guarding(StorageRoutes.presignBinding)).addRoutes(storage.presignRoutes)
            }
            if let staging {
                routes.group(access.guarding(StagingRoutes.createBinding)).addRoutes(staging.createRoutes)
                routes.group(access.guarding(StagingRoutes.readBinding)).addRoutes(staging.readRoutes)
                routes.group(access.guarding(StagingRoutes.deleteBinding)).addRoutes(staging.deleteRoutes)
                routes.group(access.guarding(StagingRoutes.methodsBinding)).addRoutes(staging.methodsRoutes)
                routes.group(access.guarding(StagingRoutes.configBinding)).addRoutes(staging.configRoutes)
            }
            if let rexec {
                // scidx-rexec sends its token in the form.
                let formTokens: [TokenSource] = [.formField("token"), .bearerHeader]
                routes.group(access.guarding(PolicyBinding(.rexec, .read, .fixed(.public)))).addRoutes(rexec.brokerConfigRoutes)
                routes.group(access.guarding(PolicyBinding(.rexec, .create, .callersOwn), tokens: formTokens)).addRoutes(rexec.spawnRoutes)
                routes.group(access.guarding(PolicyBinding(.rexec, .delete, .callersOwn), tokens: formTokens)).addRoutes(rexec.terminateRoutes)
                routes.group(access.guarding(PolicyBinding(.rexec, .read, .callersOwn))).addRoutes(rexec.statusRoutes)
            }
        }
        definition.streamingPaths = streamingPaths
        if let webSockets = serviceRoutes?.webSockets(rootPaths: http.rootPaths) {
            definition.server = HTTPServerBuilder.http1WebSocketUpgradeQuiescing(headerTimeout: http.headerTimeout) { request, _, logger in
                try await webSockets.shouldUpgrade(request, logger: logger)
            }
        }
        return definition
    }
}
