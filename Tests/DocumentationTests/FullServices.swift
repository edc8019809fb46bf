import Access
import BrokerWire
import Foundation
import Identity
import Kubernetes
import Logging
import Prometheus
import ServiceKit
import TestSupport

@testable import Broker
@testable import DeployAPI
@testable import DevIdPKit
@testable import EPGateway
@testable import KubeSim
@testable import PodsBackend

/// Each binary's service with every optional feature on, built from its declarations as the
/// binary builds it: what docs/routes.md lists and the route checks look at.
enum FullServices {
    static let root = GeneratedPage.root
    static let logger = Logger(label: "docs")

    static func broker() throws -> ServiceDefinition<BasicServiceRequestContext> {
        try RexecBroker.definition(
            source: ConfigurationSource(environment: [
                "CLIENT_PORT": "0", "SERVER_PORT": "0", "CONTROL_PORT": "0", "REXEC_BROKER_CLIENT_BIND_ADDRESS": "127.0.0.1",
                "REXEC_BROKER_SERVER_BIND_ADDRESS": "127.0.0.1",
            ]), http: HTTPServerSettings(port: 0), logger: logger, metricsRegistry: PrometheusCollectorRegistry())
    }

    /// On the Kubernetes runtime (the local one declares the same routes).
    static func deployAPI() throws -> ServiceDefinition<IdentityRequestContext> {
        let kubeconfig = try writeKubeconfig(server: "http://127.0.0.1:1")
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
        let settings = try DeploySettings.load(
            from: ConfigurationSource(environment: [
                "REXEC_RUNTIME": "kubernetes", "REXEC_KUBECONFIG_LOCAL_PATH": kubeconfig,
                "REXEC_BROKER_CURVE_PUBLIC_KEY": CurveKeyPair.generate().publicKey,
                "REXEC_SERVER_SOURCE": root.appendingPathComponent("rexec-server").path,
            ]))
        return try RexecDeployAPI.definition(
            settings: settings, http: HTTPServerSettings(port: 0), logger: logger, metricsRegistry: PrometheusCollectorRegistry())
    }

    /// With rexec delegation, JupyterLab, S3, staging and a SQLite catalog (closed when `use` returns).
    static func endpoint<Result>(_ use: (ServiceDefinition<IdentityRequestContext>) throws -> Result) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("docs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let settings = try EPSettings.load(
            from: ConfigurationSource(environment: [
                "REXEC_CONNECTION": "True", "REXEC_DEPLOYMENT_INTERNAL_URL": "http://127.0.0.1:9/rexec", "USE_JUPYTERLAB": "True",
                "S3_ENABLED": "True", "STAGING_ENABLED": "true", "STAGING_SOURCE_ROOT": folder.path, "STAGING_TARGET_ROOT": folder.path,
                "OIDC_ENABLED": "true", "OIDC_ISSUER": "https://idp.example.org", "OIDC_CLIENT_ID": "console", "OIDC_CLIENT_SECRET": "secret",
            ]))
        let catalog = try await SQLiteCatalogStore.open(path: folder.appendingPathComponent("catalog.sqlite").path, logger: logger)
        let result = try use(
            NDPEndpointAPI.definition(
                settings: settings, http: HTTPServerSettings(port: 0), logger: logger, metricsRegistry: PrometheusCollectorRegistry(),
                database: CatalogDatabase(own: catalog.store)))
        try await catalog.store.close()
        return result
    }

    static func pods() throws -> ServiceDefinition<PodsRequestContext> {
        let settings = try PodsSettings.load(from: ConfigurationSource(environment: ["BACKEND_SILOSECRET": "silo-secret-0123456789"]))
        return try UserPodsBackend.make(
            settings: settings, kubernetes: KubernetesClient(configuration: KubernetesConfiguration(server: URL(string: "http://127.0.0.1:9")!)),
            http: HTTPServerSettings(port: 0), replicaID: "docs", logger: logger, metricsRegistry: PrometheusCollectorRegistry()
        ).definition
    }

    static func kubeSim() -> ServiceDefinition<BasicServiceRequestContext> {
        KubeSimulator().definition(http: HTTPServerSettings(port: 0), metricsRegistry: PrometheusCollectorRegistry())
    }

    static func devIdP() throws -> ServiceDefinition<BasicServiceRequestContext> {
        DevIdP.definition(
            directory: try UserDirectory.load(path: root.appendingPathComponent("config/dev-idp-users.yaml").path), faults: FaultInjector(),
            settings: HTTPServerSettings(port: 0), registry: PrometheusCollectorRegistry())
    }
}
