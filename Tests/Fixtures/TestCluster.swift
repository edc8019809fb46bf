import Foundation
import KubeSim
import Kubernetes
import Testing

/// The cluster a Kubernetes test runs against: kube-sim in process by default, or a real
/// cluster when `KUBECONFIG` is set and `REXEC_TEST_REAL_CLUSTER` names its current context.
/// Any other context is refused, so a test never touches a cluster it was not pointed at.
/// Each test gets a fresh namespace, deleted afterwards.
public struct TestCluster: Sendable {
    public let client: KubernetesClient
    public let namespace: String
    public let isReal: Bool
    /// kube-sim itself (its test hooks: dropped watches, expired resourceVersions); nil on a
    /// real cluster.
    public let simulator: KubeSimulator?

    public static let realContext = ProcessInfo.processInfo.environment["REXEC_TEST_REAL_CLUSTER"].flatMap { $0.isEmpty ? nil : $0 }

    public static func run(_ body: @Sendable (TestCluster) async throws -> Void) async throws {
        if let context = realContext {
            let configuration = try KubernetesConfiguration.automatic()
            guard configuration.contextName == context else {
                Issue.record(
                    "refusing to run: the current context is '\(configuration.contextName ?? "none")', REXEC_TEST_REAL_CLUSTER allows only '\(context)'"
                )
                return
            }
            try await withNamespace(KubernetesClient(configuration: configuration), simulator: nil, body)
        } else {
            var settings = KubeSimulator.Settings()
            settings.simulation.podStartDelay = .milliseconds(50)
            try await KubeSimFixture.run(settings: settings) { sim in
                try await withNamespace(sim.kubernetesClient(), simulator: sim.simulator, body)
            }
        }
    }

    private static func withNamespace(
        _ client: KubernetesClient, simulator: KubeSimulator?, _ body: @Sendable (TestCluster) async throws -> Void
    ) async throws {
        let namespace = try await client.create(
            .namespaces,
            UnstructuredObject(["metadata": ["generateName": "rexec-test-", "labels": ["app.kubernetes.io/part-of": "rexec-stack-tests"]]]))
        let name = try #require(namespace.name)
        var scoped = client.configuration
        scoped.namespace = name
        let cluster = TestCluster(
            client: KubernetesClient(configuration: scoped, timeout: client.timeout), namespace: name, isReal: simulator == nil, simulator: simulator)
        do {
            try await body(cluster)
        } catch {
            try? await client.delete(.namespaces, name: name, ignoreNotFound: true)
            throw error
        }
        try await client.delete(.namespaces, name: name, ignoreNotFound: true)
    }
}
