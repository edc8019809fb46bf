import BrokerWire
import Essentials
import Foundation
import Hummingbird
import HummingbirdTesting
import KubeSim
import Kubernetes
import Logging
import NIOCore
import Prometheus
import ServiceKit
import TestFixtures
import TestSupport
import Testing

@testable import DeployAPI

/// The deploy API over loopback HTTP with a real dev IdP, on the Kubernetes runtime against
/// ``TestCluster`` (kube-sim, or a real cluster when asked), reached through a kubeconfig
/// file as in production. The broker's two Services exist in the test's namespace.
struct DeployHarness: Sendable {
    static let demoSub = "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e"
    static let serverSource = KubernetesSchemas.packageRoot.appendingPathComponent("rexec-server").path

    let client: any TestClientProtocol
    let kube: KubernetesClient
    let idp: DevIdPFixture
    let settings: DeploySettings
    let brokerNamespace: String
    let brokerClusterIP: String
    let isRealCluster: Bool
    /// kube-sim in process (its faults), nil on a real cluster.
    let simulator: KubeSimulator?

    var prefix: String { settings.kubernetes.namespacePrefix }
    func namespace(for sub: String) -> String { prefix + UserKey(sub: sub, maxLength: settings.kubernetes.maxUserKeyLength).value }

    static func run(environment extra: [String: String] = [:], _ body: @Sendable (DeployHarness) async throws -> Void) async throws {
        try await DevIdPFixture.run { idp in
            try await TestCluster.run { cluster in
                let internalService = try await cluster.client.create(
                    CoreV1.Service(
                        metadata: ObjectMeta(name: "rexec-broker-internal-ip", namespace: cluster.namespace),
                        spec: .init(
                            type: "ClusterIP", selector: ["app": "rexec-broker"], ports: [.init(name: "server-port", port: 5560, targetPort: 5560)])
                    ))
                var external = CoreV1.ServiceSpec(
                    type: "NodePort", selector: ["app": "rexec-broker"],
                    ports: [
                        .init(name: "client-port", port: 5559, targetPort: 5559), .init(name: "control-port", port: 5561, targetPort: 5561),
                    ])
                if !cluster.isReal { external.ports?[0].nodePort = 30001 }
                _ = try await cluster.client.create(
                    CoreV1.Service(metadata: ObjectMeta(name: "rexec-broker-external-ip", namespace: cluster.namespace), spec: external))

                let kubeconfig = try kubeconfigFile(for: cluster)
                defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
                var environment = [
                    "AUTH_API_URL": idp.informationURL.absoluteString, "AUTH_CACHE_TTL_SECONDS": "0",
                    "REXEC_RUNTIME": "kubernetes", "REXEC_KUBECONFIG_LOCAL_PATH": kubeconfig,
                    "REXEC_BROKER_NAMESPACE": cluster.namespace, "REXEC_SERVER_SOURCE": serverSource,
                    // Unique per test, so user namespaces of parallel tests (or a real cluster) never meet.
                    "REXEC_NAMESPACE_PREFIX": "rx-\(UUID().uuidString.prefix(6).lowercased())-",
                    "REXEC_SPAWN_WAIT_TIMEOUT_SECONDS": "20",
                    // The broker's key servers are given (no broker runs in these tests).
                    "REXEC_BROKER_CURVE_PUBLIC_KEY": CurveKeyPair.generate().publicKey,
                ]
                environment.merge(extra) { $1 }
                let settings = try DeploySettings.load(from: ConfigurationSource(environment: environment))
                var logger = Logger(label: "deploy-api-test")
                logger.logLevel = .warning
                let definition = try RexecDeployAPI.definition(
                    settings: settings, http: HTTPServerSettings(host: "127.0.0.1", port: 0, rootPaths: ["/rexec"]), logger: logger,
                    metricsRegistry: PrometheusCollectorRegistry()
                )
                let app = buildApplication(definition, logger: logger)
                let brokerClusterIP = internalService.spec?.clusterIP ?? ""
                try await app.test(.live) { client in
                    let harness = DeployHarness(
                        client: client, kube: cluster.client, idp: idp, settings: settings, brokerNamespace: cluster.namespace,
                        brokerClusterIP: brokerClusterIP, isRealCluster: cluster.isReal, simulator: cluster.simulator
                    )
                    do {
                        try await body(harness)
                    } catch {
                        await harness.removeUserNamespaces()
                        throw error
                    }
                    await harness.removeUserNamespaces()
                }
            }
        }
    }

    /// A kubeconfig naming the cluster the test talks to (the real one's own file when real).
    private static func kubeconfigFile(for cluster: TestCluster) throws -> String {
        if cluster.isReal, let path = ProcessInfo.processInfo.environment["KUBECONFIG"]?.split(separator: ":").first {
            return String(path)
        }
        return try writeKubeconfig(server: cluster.client.configuration.server.absoluteString)
    }

    private func removeUserNamespaces() async {
        guard let namespaces = try? await kube.list(CoreV1.Namespace.self) else { return }
        for namespace in namespaces where namespace.metadata.name?.hasPrefix(prefix) == true {
            try? await kube.delete(.namespaces, name: namespace.metadata.name ?? "", ignoreNotFound: true)
        }
    }

    // MARK: Requests

    func request(_ method: HTTPRequest.Method, _ path: String, form: [(String, String)]? = nil, bearer: String? = nil) async throws -> HTTPReply {
        var headers: HTTPFields = [:]
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: form.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&"))
        }
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
            HTTPReply(response)
        }
    }

    /// What ndp-ep 0.9.0 / scidx-rexec 0.1.0 post (docs/specs/rexec.md §4.4).
    func spawn(
        _ requirements: [String], token: String = "demo-token", force: Bool = false, wait: Bool = false, path: String = "/rexec/spawn"
    ) async throws -> HTTPReply {
        var form = requirements.map { ("requirments", $0) }
        form.append(("force_reinstall", force ? "True" : "False"))
        form.append(("token", token))
        if wait { form.append(("wait", "true")) }
        return try await request(.post, path, form: form)
    }

    func terminate(token: String = "demo-token") async throws -> HTTPReply {
        try await request(.delete, "/rexec/terminate", form: [("token", token)])
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}
