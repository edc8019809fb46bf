import ArgumentParser
import Hummingbird
import Shared

/// ndp-ep-api: the NDP endpoint API users call.
/// Foundation stage: `/`, `/user/info` (authenticated, gated), health, docs and metrics.
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
            let settings = try EPSettings.load(from: launch.source)
            let authenticator = RequestAuthenticator(
                provider: CachingIdentityProvider.live(settings: settings.auth, logger: launch.logger),
                dialect: .epGateway,
                staticToken: settings.testToken.map { RequestAuthenticator.StaticToken(token: $0, identity: EPSettings.testIdentity) }
            )
            let userRoutes = UserRoutes(authenticator: authenticator, access: AccessPolicy(settings: settings.access))
            return ServiceDefinition(
                name: spec.name, settings: launch.http, errorStyle: .envelope,
                openAPI: OpenAPIDocument(
                    title: settings.swaggerTitle, version: settings.version, description: settings.swaggerDescription,
                    operations: [RootRoute.operation] + UserRoutes.operations
                ),
                readinessChecks: [.identityProvider(settings.auth)],
                metricsRegistry: launch.metricsRegistry
            ) { router in
                RootRoute.register(on: router)
                router.addRoutes(userRoutes.collection)
            }
        }
    }
}
