import Foundation
import Kubernetes
import TestFixtures
import TestSupport
import Testing

@testable import PodsBackend

/// State lives in Kubernetes: a restarted backend finishes what it began, another replica
/// takes over what a dead one left, and two replicas serve the same users at once.
@Suite("Pods backend: restarts and replicas")
struct PodsResilienceTests {
    /// What one backend's scope hands to the next.
    actor Handover {
        var pod = ""
        func set(_ name: String) { pod = name }
    }

    /// Plays the kubelet: the pod runs and is Ready.
    static func markReady(_ pod: String, cluster: TestCluster) async throws {
        _ = try await cluster.client.patch(
            .pods, namespace: cluster.namespace, name: pod,
            [
                "status": [
                    "phase": "Running", "podIP": "10.244.200.1", "startTime": "2026-01-01T00:00:00Z",
                    "conditions": [["type": "Ready", "status": "True"]],
                ]
            ], subresource: "status")
    }

    static func twoBackends(
        environment extra: [String: String] = [:], _ body: @Sendable (TestCluster, Int, [String: String]) async throws -> Void
    ) async throws {
        try await TestCluster.run { cluster in
            guard !cluster.isReal else { return }  // the tests write pod status, which a kubelet would overwrite
            try await ManifestServer.run { port in
                var environment = PodsHarness.environment(cluster: cluster, manifestPort: port)
                environment.merge(extra) { $1 }
                try await body(cluster, port, environment)
            }
        }
    }

    @Test("a backend restarted in the middle of a creation finishes it: ssh Service, tokens, ready")
    func restartDuringCreation() async throws {
        try await Self.twoBackends(environment: ["BACKEND_TIMEOUTCREATE": "60s"]) { cluster, port, environment in
            let handover = Handover()
            try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-a") { first in
                let created = try await first.createPod("slow_start.yaml")
                let name = try #require(created["pod_name"]?.stringValue)
                #expect(try await first.pod(name)?.podState == .creating)
                await handover.set(name)
            }
            let name = await handover.pod
            // While no backend runs, the pod becomes ready; nobody has finished its creation.
            try await Self.markReady(name, cluster: cluster)
            try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-a") { second in
                try await second.writeFiles(pod: name, ["hostkey": "abc"])
                try await second.waitFor(.pods, name) { $0?.podState == .ready }
                #expect(try await second.watchCreate(name)["ready"] == true)
                #expect(try await second.backend.cluster.get(.services, ResourceNames.sshService(pod: name)) != nil)
                #expect(try await second.getPods().body.arrayValue?.first?["tokens"] == ["hostkey": "abc"])
            }
        }
    }

    @Test("another replica takes over a creation whose replica died, once its lease has expired")
    func takeover() async throws {
        try await Self.twoBackends(environment: ["BACKEND_TIMEOUTCREATE": "60s"]) { cluster, port, environment in
            let handover = Handover()
            try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-a") { first in
                let created = try await first.createPod("slow_start.yaml")
                await handover.set(try #require(created["pod_name"]?.stringValue))
            }
            let name = await handover.pod
            // Replica A is gone; its lease runs out (as it would after the deadline and margin).
            let expired = CreationLease(holder: "replica-a", expires: Date().addingTimeInterval(-1))
            _ = try await cluster.client.patch(
                .pods, namespace: cluster.namespace, name: name, ["metadata": ["annotations": [CreationLease.annotation: .string(expired.text)]]])
            try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-b") { second in
                try await second.waitFor(.pods, name) { $0?.annotations[CreationLease.annotation]?.hasPrefix("replica-b ") == true }
                try await Self.markReady(name, cluster: cluster)
                try await second.waitFor(.pods, name) { $0?.podState == .ready }
                let metrics = try await second.request(.get, "/metrics")
                #expect(metrics.text.contains("user_pods_adopted_creations_total 1"), "\(metrics.text)")
            }
        }
    }

    @Test("two backends at once: concurrent creations get distinct names; either answers for the other's pods")
    func twoReplicas() async throws {
        try await Self.twoBackends { cluster, port, environment in
            try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-a") { a in
                try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-b") { b in
                    async let first = a.createPod("test_long_key.yaml")
                    async let second = b.createPod("test_long_key.yaml")
                    let names = [try await first, try await second].compactMap { $0["pod_name"]?.stringValue }
                    #expect(names.count == 2 && Set(names).count == 2, "\(names)")
                    for name in names {
                        #expect(try await b.watchCreate(name)["ready"] == true)
                        #expect(try await a.watchCreate(name)["ready"] == true)
                    }
                    #expect(try await a.getPods().body.arrayValue?.count == 2)
                    #expect(try await b.deletePod(names[0])["requested"] == true)
                    #expect(try await a.watchDelete(names[0])["deleted"] == true)
                    #expect(try await b.getPods().body.arrayValue?.compactMap { $0["pod_name"]?.stringValue } == [names[1]])
                }
            }
        }
    }

    @Test("storage of a user whose last pod went while no backend ran is removed by the sweep; failed pods too")
    func sweep() async throws {
        try await Self.twoBackends(environment: ["BACKEND_TIMEOUTCREATE": "1s"]) { cluster, port, environment in
            try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-a") { harness in
                let storage = harness.backend.storage
                let user = try UserID("left@dtu.dk")
                let claim = try await storage.ensure(for: user, siloIP: "10.0.0.20", deadline: .now + .seconds(10))
                // A pod an earlier run marked failed but did not get to delete.
                _ = try await harness.backend.cluster.createPod([
                    "metadata": ["name": "stuck", "labels": ["user": "left", "domain": "dtu.dk", "sciencedata.dk/state": "failed"]],
                    "spec": ["containers": [["name": "c", "image": "busybox:1.36"]]],
                ])
                try await harness.waitFor(.pods, "stuck", timeout: .seconds(30)) { $0 == nil }
                // Once older than timeoutCreate (it could have been a creation's), it goes.
                try await harness.waitFor(.persistentVolumeClaims, claim, timeout: .seconds(30)) { $0 == nil }
            }
        }
    }
}
