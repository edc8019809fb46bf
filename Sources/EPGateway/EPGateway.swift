import Identity
import Logging
import Prometheus
import RexecWire
import ServiceKit

/// The composition root: builds the gateway's parts from its settings and mounts each
/// feature's routes in the access group they need. Tests call it with their own settings.
enum EPGateway {
    static func definition(
        settings: EPSettings, http: HTTPServerSettings, logger: Logger, metricsRegistry: PrometheusCollectorRegistry
    ) -> ServiceDefinition<IdentityRequestContext> {
        let access = EndpointAccess(
            authenticator: RequestAuthenticator(
                provider: CachingIdentityProvider.live(settings: settings.auth, logger: logger),
                dialect: .epGateway,
                staticToken: settings.testToken.map { RequestAuthenticator.StaticToken(token: $0, identity: EPSettings.testIdentity) }
            ),
            settings: settings.access
        )
        let status = StatusRoutes(settings: settings, metrics: SystemMetrics())
        let user = UserRoutes(tiers: access.tiers)
        let login = LoginRoutes(authAPIURL: settings.auth.authAPIURL, timeout: settings.auth.timeout)

        var readiness: [ReadinessCheck] = [.identityProvider(settings.auth)]
        var operations =
            [RootRoute.operation] + EPHealthRoutes.operations + StatusRoutes.operations(settings) + LoginRoutes.operations
            + UserRoutes.operations
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
        return ServiceDefinition(
            name: "ndp-ep-api", settings: http, errorStyle: .envelope,
            openAPI: OpenAPIDocument(
                title: settings.swaggerTitle, version: settings.version, description: settings.swaggerDescription, operations: operations),
            readinessChecks: readiness,
            metricsRegistry: metricsRegistry
        ) { [rexec] routes in
            RootRoute.register(on: routes.open)
            routes.open.addRoutes(health.collection)
            routes.open.addRoutes(login.collection)
            // `/status` answers 307 to `/status/` before asking for a token, as FastAPI does.
            routes.group(.token, middleware: [StatusRoutes.BareStatusRedirect()] + access.middleware(for: .token)).addRoutes(status.tokenRoutes)
            routes.group(.writer, access: access).addRoutes(status.writerRoutes)
            routes.group(.member, access: access).addRoutes(user.collection)
            if let rexec {
                routes.open.addRoutes(rexec.openRoutes)
                routes.group(.writer, access: access, tokens: [.formField("token"), .bearerHeader]).addRoutes(rexec.writerRoutes)
            }
        }
    }
}
