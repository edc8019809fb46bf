import ArgumentParser
import Hummingbird
import Shared

/// user-pods-backend: per-user pods with storage, ssh and TLS ingress.
/// Foundation placeholder: health, docs and metrics.
@main
struct PodsBackendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user-pods-backend",
        abstract: "Per-user pods (Jupyter, ssh boxes) on Kubernetes."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let spec = LaunchSpec(name: "user-pods-backend", defaultPort: 8080)
        try await ServiceLauncher.run(spec, options: common) { launch in
            ServiceDefinition(
                name: spec.name, settings: launch.http, errorStyle: .detail,
                openAPI: OpenAPIDocument(title: "User pods backend", version: "0.1.0", description: "Per-user pods API."),
                metricsRegistry: launch.metricsRegistry
            ) { _ in }
        }
    }
}
