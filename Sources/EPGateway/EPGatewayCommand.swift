import AccessPolicy
import ArgumentParser
import Identity
import ServiceKit

/// ndp-ep-api: the NDP endpoint API users call: auth, status, login, user info, and rexec
/// delegation to the deploy API.
@main
struct EPGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ndp-ep-api",
        abstract: "The NDP endpoint API: authentication, status and rexec delegation."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var policy: PolicyOptions

    func run() async throws {
        // Upstream's nginx serves the API at {ROOT_PATH}/ and {ROOT_PATH}/api/.
        let spec = LaunchSpec(name: "ndp-ep-api", defaultPort: 8003, rootPathVariables: ["ROOT_PATH"]) { root in [root + "/api"] }
        try await ServiceLauncher.run(spec, context: IdentityRequestContext.self, options: common, extraOverrides: policy.overrides) { launch in
            let settings = try EPSettings.load(from: launch.source)
            let policy = try PolicyStore.open(from: launch.source, logger: launch.logger)
            return EPGateway.definition(
                settings: settings, http: launch.http, logger: launch.logger, metricsRegistry: launch.metricsRegistry,
                policy: policy, catalog: try await Catalog.open(settings.catalog, logger: launch.logger)
            )
        }
    }
}
