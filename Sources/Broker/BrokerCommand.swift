import ArgumentParser
import Hummingbird
import Shared

/// rexec-broker: routes rexec calls between clients and per-user servers over ZeroMQ.
/// Foundation placeholder: the HTTP side port (/healthz, /readyz, /metrics).
@main
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rexec-broker",
        abstract: "ZeroMQ router between rexec clients and per-user rexec servers."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("http-port"), help: "Port for /healthz, /readyz and /metrics (same as --port; env PORT; default 9090).")
    var httpPort: Int?

    func run() async throws {
        let spec = LaunchSpec(name: "rexec-broker", defaultPort: 9090)
        // The broker's HTTP listener is a side port; --http-port is its name for PORT.
        var overrides: [String: String] = [:]
        if let httpPort { overrides["PORT"] = String(httpPort) }
        try await ServiceLauncher.run(spec, options: common, extraOverrides: overrides) { launch in
            let auth = try AuthSettings.load(from: launch.source)
            return ServiceDefinition(
                name: spec.name, settings: launch.http, errorStyle: .detail,
                openAPI: OpenAPIDocument(title: "rexec-broker", version: "0.1.0", description: "Broker health and metrics."),
                readinessChecks: [.identityProvider(auth)],
                metricsRegistry: launch.metricsRegistry
            ) { _ in }
        }
    }
}
