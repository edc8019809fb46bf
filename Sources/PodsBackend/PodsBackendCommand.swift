import AccessPolicy
import ArgumentParser
import Foundation
import Hummingbird
import Kubernetes
import ServiceKit

/// user-pods-backend: per-user pods with storage, ssh and TLS ingress (ScienceData's
/// kubernetes_backend, compatible and hardened).
@main
struct PodsBackendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user-pods-backend",
        abstract: "Per-user pods (Jupyter, ssh boxes) on Kubernetes."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var policy: PolicyOptions

    @Option(name: .customLong("config"), help: "Upstream's config.yaml (env BACKEND_CONFIG_FILE; default ./config.yaml, then ../config.yaml).")
    var config: String?

    func run() async throws {
        let spec = LaunchSpec(name: "user-pods-backend", defaultPort: 8080)
        try await ServiceLauncher.run(spec, context: PodsRequestContext.self, options: common, extraOverrides: policy.overrides) { launch in
            var source = launch.source
            if let path = ConfigFile.locate(explicit: config) {
                do {
                    source = source.withDefaults(try ConfigFile.load(path: path))
                } catch let error as ConfigFile.Invalid {
                    throw ConfigurationError(
                        variable: "BACKEND_CONFIG_FILE", value: error.path, expected: "a readable YAML mapping (\(error.reason))")
                }
            }
            let settings = try PodsSettings.load(from: source)
            let kubernetes: KubernetesConfiguration
            do {
                kubernetes = try .automatic()
            } catch {
                throw ConfigurationError(
                    variable: "KUBECONFIG", value: ProcessInfo.processInfo.environment["KUBECONFIG"] ?? "",
                    expected: "a readable kubeconfig, or running in a pod (\(error))")
            }
            return try PodsBackend.make(
                settings: settings, kubernetes: KubernetesClient(configuration: kubernetes, logger: launch.logger), http: launch.http,
                replicaID: PodsBackend.replicaID(source), logger: launch.logger, metricsRegistry: launch.metricsRegistry,
                policy: try PolicyStore.open(from: launch.source, logger: launch.logger)
            ).definition
        }
    }
}
