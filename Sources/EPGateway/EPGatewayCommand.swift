import ArgumentParser
import Hummingbird
import Logging
import Prometheus
import Shared

/// ndp-ep-api: the NDP endpoint API users call: auth, status, login, user info, and rexec
/// delegation to the deploy API.
@main
struct EPGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ndp-ep-api",
        abstract: "The NDP endpoint API: authentication, status and rexec delegation."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        // Upstream's nginx serves the API at {ROOT_PATH}/ and {ROOT_PATH}/api/.
        let spec = LaunchSpec(name: "ndp-ep-api", defaultPort: 8003, rootPathVariables: ["ROOT_PATH"]) { root in [root + "/api"] }
        try await ServiceLauncher.run(spec, options: common) { launch in
            EPGateway.definition(
                settings: try EPSettings.load(from: launch.source), http: launch.http, logger: launch.logger, metricsRegistry: launch.metricsRegistry
            )
        }
    }
}

/// Builds the gateway from its settings; tests call this with their own.
enum EPGateway {
    static func definition(settings: EPSettings, http: HTTPServerSettings, logger: Logger, metricsRegistry: PrometheusCollectorRegistry) -> ServiceDefinition {
        let authenticator = RequestAuthenticator(
            provider: CachingIdentityProvider.live(settings: settings.auth, logger: logger),
            dialect: .epGateway,
            staticToken: settings.testToken.map { RequestAuthenticator.StaticToken(token: $0, identity: EPSettings.testIdentity) }
        )
        let access = AccessPolicy(settings: settings.access)
        let userRoutes = UserRoutes(authenticator: authenticator, access: access)
        let statusRoutes = StatusRoutes(settings: settings, authenticator: authenticator, access: access, metrics: SystemMetrics())
        let loginRoutes = LoginRoutes(authAPIURL: settings.auth.authAPIURL, timeout: settings.auth.timeout)

        var readiness: [ReadinessCheck] = [.identityProvider(settings.auth)]
        var operations = [RootRoute.operation] + EPHealthRoutes.operations + StatusRoutes.operations(settings) + LoginRoutes.operations + UserRoutes.operations
        var rexecRoutes: RexecRoutes?
        if settings.rexec.enabled, let internalURL = settings.rexec.internalURL {
            let delegate = RexecDelegate(baseURL: internalURL, timeout: settings.rexec.timeout, logger: logger)
            rexecRoutes = RexecRoutes(delegate: delegate, authenticator: authenticator, access: access, spawnWaitTimeout: settings.rexec.spawnWaitTimeout)
            operations += RexecRoutes.operations
            readiness.append(.service("rexec_deployment_api", baseURL: internalURL))
        }
        let rexec = rexecRoutes
        let health = EPHealthRoutes(checks: readiness, disabled: ["local_catalog", "pre_ckan", "minio", "kafka"])
        return ServiceDefinition(
            name: "ndp-ep-api", settings: http, errorStyle: .envelope,
            openAPI: OpenAPIDocument(title: settings.swaggerTitle, version: settings.version, description: settings.swaggerDescription, operations: operations),
            readinessChecks: readiness,
            metricsRegistry: metricsRegistry
        ) { router in
            RootRoute.register(on: router)
            router.addRoutes(health.collection)
            router.addRoutes(statusRoutes.collection)
            router.addRoutes(loginRoutes.collection)
            router.addRoutes(userRoutes.collection)
            if let rexec { router.addRoutes(rexec.collection) }
        }
    }
}
