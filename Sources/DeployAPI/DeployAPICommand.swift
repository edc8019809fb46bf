import AccessPolicy
import ArgumentParser
import Identity
import ServiceKit

/// rexec-deploy-api: creates, reports on and tears down each user's rexec server, on
/// Kubernetes or as local processes.
@main
struct DeployAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rexec-deploy-api",
        abstract: "Spawn, report on and terminate per-user rexec servers."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var policy: PolicyOptions

    @Option(name: .customLong("runtime"), help: "Where servers run: local (child processes) or kubernetes (env REXEC_RUNTIME).")
    var runtime: String?

    func run() async throws {
        let spec = LaunchSpec(name: "rexec-deploy-api", defaultPort: 8000, rootPathVariables: ["APP_ROOT_PATH", "ROOT_PATH"])
        try await ServiceLauncher.run(
            spec, context: IdentityRequestContext.self, options: common,
            extraOverrides: policy.overrides.merging(runtime.map { ["REXEC_RUNTIME": $0] } ?? [:]) { $1 }
        ) { launch in
            let settings = try DeploySettings.load(from: launch.source)
            return try DeployAPI.definition(
                settings: settings, http: launch.http, logger: launch.logger, metricsRegistry: launch.metricsRegistry,
                policy: try PolicyStore.open(from: launch.source, logger: launch.logger))
        }
    }
}
