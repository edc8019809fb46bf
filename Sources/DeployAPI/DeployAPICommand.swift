import ArgumentParser
import Hummingbird
import Shared

/// rexec-deploy-api: creates, reports on and tears down each user's rexec server.
/// This is the foundation placeholder: health, docs, metrics and upstream's root answer.
@main
struct DeployAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rexec-deploy-api",
        abstract: "Spawn, report on and terminate per-user rexec servers."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let spec = LaunchSpec(name: "rexec-deploy-api", defaultPort: 8000, rootPathVariables: ["APP_ROOT_PATH", "ROOT_PATH"])
        try await ServiceLauncher.run(spec, options: common) { launch in
            let auth = try AuthSettings.load(from: launch.source)
            return ServiceDefinition(
                name: spec.name, settings: launch.http, errorStyle: .detail,
                openAPI: OpenAPIDocument(
                    title: launch.source.string("SWAGGER_TITLE", default: "R-Exec API"),
                    version: launch.source.string("SWAGGER_VERSION", default: "0.1.0"),
                    description: launch.source.string("SWAGGER_DESCRIPTION", default: "RESTful API for Remote Execution"),
                    operations: [RootRoute.operation]
                ),
                readinessChecks: [.identityProvider(auth)],
                metricsRegistry: launch.metricsRegistry
            ) { router in
                RootRoute.register(on: router)
            }
        }
    }
}
