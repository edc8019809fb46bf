import Essentials
import Foundation
import Kubernetes
import TestFixtures
import TestSupport
import Testing

@testable import PodsBackend

/// Pods that expire and can be extended (MergeTB's XDC expiration): the expiry set at
/// creation, `extend_pod`, and the sweep that reaps expired pods, after a restart and with two
/// replicas at once, on kube-sim.
@Suite("Pod expiry")
struct PodExpiryTests {
    static let user = PodsHarness.user
    /// Three days by default, at most ten: far from the one-day warning.
    static let lifetimes = ["POD_DEFAULT_LIFETIME": "3d", "POD_MAX_LIFETIME": "10d"]
    static let keys = ["shortkey": "s", "longkey": "l"]

    static func expiry(_ reply: HTTPReply, _ name: String) throws -> Date {
        let pod = try #require(reply.body.arrayValue?.first { $0["pod_name"]?.stringValue == name })
        return try #require(pod["expires_at"]?.stringValue.flatMap(KubernetesTime.parse))
    }

    static func near(_ date: Date, _ expected: Date) -> Bool { abs(date.timeIntervalSince(expected)) < 120 }

    /// Sets a pod's expiry straight in the cluster (as time passing would).
    static func setExpiry(_ name: String, _ date: Date, harness: PodsHarness) async throws {
        _ = try await harness.kube.patch(
            .pods, namespace: harness.namespace, name: name,
            ["metadata": ["annotations": [PodLifetime.Keys.expiresAt: .string(KubernetesTime.format(date))]]])
    }

    @Test("every pod gets an expiry at creation: the default, less if its manifest asks, never more; get_pods shows it beside upstream's keys")
    func expiryAtCreation() async throws {
        try await PodsHarness.run(environment: Self.lifetimes.merging(["BACKEND_SWEEPINTERVAL": "1h"]) { $1 }) { harness in
            let plain = try await harness.createReady("test_long_key.yaml", tokens: Self.keys)
            let short = try await harness.createReady("short_lived.yaml", tokens: Self.keys)
            let long = try await harness.createReady("long_lived.yaml", tokens: Self.keys)
            let listed = try await harness.getPods()
            #expect(Self.near(try Self.expiry(listed, plain), Date().addingTimeInterval(3 * 86_400)))
            #expect(Self.near(try Self.expiry(listed, short), Date().addingTimeInterval(3_600)))
            #expect(Self.near(try Self.expiry(listed, long), Date().addingTimeInterval(3 * 86_400)))
            let element = try #require(listed.body.arrayValue?.first { $0["pod_name"]?.stringValue == plain }?.objectValue)
            let upstream: Set<String> = [
                "pod_name", "container_name", "image_name", "pod_ip", "node_ip", "owner", "age", "status", "url", "ssh_url", "tokens", "k8s_pod_info",
            ]
            #expect(Set(element.keys) == upstream.union(["expires_at", "expiring_soon"]))
            #expect(element["expiring_soon"] == false)
            // The day before: the warning.
            #expect(listed.body.arrayValue?.first { $0["pod_name"]?.stringValue == short }?["expiring_soon"] == true)
            // The expiry is on the pod itself: the cluster is the state.
            #expect(try await harness.pod(plain)?.annotations[PodLifetime.Keys.expiresAt] != nil)
        }
    }

    @Test("extend_pod: the owner and an admin extend, capped at the maximum, never shortened; others, bad durations and expired pods are refused")
    func extending() async throws {
        try await DevIdPFixture.run { idp in
            let environment = Self.lifetimes.merging([
                "BACKEND_SWEEPINTERVAL": "1h", "BACKEND_AUTHMODES": "secret,idp", "AUTH_API_URL": idp.informationURL.absoluteString,
            ]) { $1 }
            try await PodsHarness.run(environment: environment) { harness in
                let name = try await harness.createReady("test_long_key.yaml", tokens: Self.keys)
                func extend(_ duration: String, user: String = Self.user, auth: PodsHarness.Credential = .silo) async throws -> HTTPReply {
                    try await harness.post(
                        "/extend_pod", ["user_id": .string(user), "pod_name": .string(name), "duration": .string(duration)], auth: auth)
                }
                let five = try await extend("5d")
                #expect(five.status == 200, "\(five.text)")
                let fiveDays = try #require(five["expires_at"]?.stringValue.flatMap(KubernetesTime.parse))
                #expect(Self.near(fiveDays, Date().addingTimeInterval(5 * 86_400)))
                #expect(try Self.expiry(try await harness.getPods(), name) == fiveDays)
                // Asking for less keeps the later expiry; asking for more than the maximum gets the maximum.
                #expect(try await extend("12h")["expires_at"]?.stringValue.flatMap(KubernetesTime.parse) == fiveDays)
                let capped = try await extend("1d12h30m")["expires_at"]?.stringValue.flatMap(KubernetesTime.parse)
                #expect(capped == fiveDays)
                let most = try await extend("365d", auth: .admin)
                #expect(most.status == 200, "\(most.text)")
                #expect(
                    Self.near(try #require(most["expires_at"]?.stringValue.flatMap(KubernetesTime.parse)), Date().addingTimeInterval(10 * 86_400)))
                // Another user: through a silo, not their pod (404); with their own token, refused by the policy (403).
                #expect(try await extend("1d", user: "someone@else.org").status == 404)
                #expect(try await extend("1d", auth: .bearer("demo-token")).status == 403)
                for bad in ["", "soon", "5", "-1d", "0d", "3x"] {
                    let refused = try await extend(bad)
                    #expect(refused.status == 400, "\(bad): \(refused.text)")
                }
                // Past its expiry a pod is not revived (the sweep is deleting it).
                try await Self.setExpiry(name, Date().addingTimeInterval(-60), harness: harness)
                let late = try await extend("1d")
                #expect(late.status == 409 && late.text.contains("cannot be extended"), "\(late.text)")
                #expect(try #require(try await harness.pod(name).flatMap(PodLifetime.expiresAt)) < Date())
            }
        }
    }

    @Test("the sweep reaps an expired pod as delete_pod does (its storage after the user's last pod) and counts it; a pod without an expiry gets one")
    func reaping() async throws {
        try await PodsHarness.run(environment: Self.lifetimes) { harness in
            guard !harness.cluster.isReal else { return }
            let name = try await harness.createReady(
                "jupyter_sciencedata.yaml", settings: ["jupyter": ["ENVIRONMENT_FILE": "mine.env"]], tokens: ["appendURL": "?token=abc123\n"])
            let claim = ResourceNames.storageClaim(user: try UserID(Self.user))
            #expect(try await harness.backend.cluster.get(.persistentVolumeClaims, claim) != nil)
            try await Self.setExpiry(name, Date().addingTimeInterval(-1), harness: harness)
            try await harness.waitFor(.pods, name) { $0 == nil }
            try await harness.waitFor(.persistentVolumeClaims, claim) { $0 == nil }
            #expect(try await harness.request(.get, "/metrics").text.contains("user_pods_reaped_total 1"))
            #expect(try await harness.getPods().body == .null)

            // A pod made without the backend (upstream's, or older than expiries) gets the
            // default lifetime from when the sweep first sees it, and is not reaped.
            let legacy: JSONValue = [
                "metadata": ["name": "legacy-pod", "labels": ["user": "fror", "domain": "dtu.dk"]],
                "spec": ["containers": [["name": "c", "image": "busybox:1.36"]]],
            ]
            _ = try await harness.kube.create(.pods, namespace: harness.namespace, try #require(UnstructuredObject(legacy)))
            let given = try await harness.waitFor(.pods, "legacy-pod") { $0?.annotations[PodLifetime.Keys.expiresAt] != nil }
            #expect(Self.near(try #require(given.flatMap(PodLifetime.expiresAt)), Date().addingTimeInterval(3 * 86_400)))
        }
    }

    @Test("expiries survive a restart: a pod that expired while no backend ran is reaped by the next one")
    func reapingAfterRestart() async throws {
        try await PodExpiryTests.cluster { cluster, port, environment in
            let handover = PodsResilienceTests.Handover()
            try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-a") { first in
                await handover.set(try await first.createReady("test_long_key.yaml", tokens: Self.keys))
            }
            let name = await handover.pod
            _ = try await cluster.client.patch(
                .pods, namespace: cluster.namespace, name: name,
                ["metadata": ["annotations": [PodLifetime.Keys.expiresAt: .string(KubernetesTime.format(Date().addingTimeInterval(-1)))]]])
            try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-b") { second in
                try await second.waitFor(.pods, name) { $0 == nil }
                #expect(try await second.request(.get, "/metrics").text.contains("user_pods_reaped_total 1"))
            }
        }
    }

    @Test("two replicas sweeping one cluster: each expired pod is deleted exactly once, a live one stays")
    func reapingWithTwoReplicas() async throws {
        try await PodExpiryTests.cluster { cluster, port, environment in
            try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-a") { a in
                try await PodsHarness.backend(cluster: cluster, manifestPort: port, environment: environment, replicaID: "replica-b") { b in
                    var names: [String] = []
                    for _ in 0..<6 { names.append(try await a.createReady("test_long_key.yaml", tokens: Self.keys)) }
                    let expired = Array(names.prefix(5))
                    for name in expired { try await Self.setExpiry(name, Date().addingTimeInterval(-1), harness: a) }
                    for name in expired { try await a.waitFor(.pods, name) { $0 == nil } }
                    func reaped(_ harness: PodsHarness) async throws -> Int {
                        let text = try await harness.request(.get, "/metrics").text
                        return text.split(separator: "\n").first { $0.hasPrefix("user_pods_reaped_total ") }.flatMap {
                            Int($0.split(separator: " ")[1])
                        } ?? 0
                    }
                    #expect(try await reaped(a) + reaped(b) == 5)
                    #expect(try await a.pod(names[5]) != nil)
                }
            }
        }
    }

    /// kube-sim with a manifest server, and the environment each backend starts with (sweeps
    /// every 200 ms).
    static func cluster(_ body: @Sendable (TestCluster, Int, [String: String]) async throws -> Void) async throws {
        try await TestCluster.run { cluster in
            guard !cluster.isReal else { return }
            try await ManifestServer.run { port in
                var environment = PodsHarness.environment(cluster: cluster, manifestPort: port)
                environment.merge(Self.lifetimes) { $1 }
                try await body(cluster, port, environment)
            }
        }
    }
}

/// get_pods, ownership checks and get_podip_owner from the watch-fed cache: no API call per
/// read once synced, a write seen by the next read, a dropped watch and a 410 survived.
@Suite("Pods cache")
struct PodsCacheTests {
    static let keys = PodExpiryTests.keys

    @Test("once synced, get_pods makes no API call; a pod created or deleted through the backend is in the very next get_pods")
    func readYourWrites() async throws {
        // No periodic sweep: its lists would blur the count of the reads'.
        try await PodsHarness.run(environment: ["BACKEND_SWEEPINTERVAL": "1h"]) { harness in
            guard let store = harness.cluster.simulator?.store else { return }
            #expect(await harness.backend.cache.waitUntilSynced(timeout: .seconds(10)))
            let created = try await harness.createPod("test_long_key.yaml")
            let name = try #require(created["pod_name"]?.stringValue)
            // The next read sees the new pod (Creating).
            let first = try await harness.getPods()
            #expect(first.body.arrayValue?.map { $0["pod_name"]?.stringValue } == [name] && first.body[0]?["status"] == "Creating")
            try await harness.writeFiles(pod: name, Self.keys)
            #expect(try await harness.watchCreate(name)["ready"] == true)
            let lists = await store.listRequests
            for _ in 0..<5 {
                let ready = try await harness.getPods()
                #expect(ready.body[0]?["tokens"] == ["shortkey": "s", "longkey": "l"] && ready.body[0]?["ssh_url"] != nil)
            }
            let after = await store.listRequests
            #expect(after == lists, "get_pods listed \(after - lists) times")
            #expect(try await harness.deletePod(name).status == 200)
            #expect(try await harness.getPods().body[0]?["status"] == "Deleting")
        }
    }

    @Test("a dropped watch and a 410 Gone are survived: pods made meanwhile appear, pods deleted meanwhile go")
    func dropsAndGone() async throws {
        try await PodsHarness.run { harness in
            guard let store = harness.cluster.simulator?.store else { return }
            #expect(await harness.backend.cache.waitUntilSynced(timeout: .seconds(10)))
            let kept = try await harness.createReady("test_long_key.yaml", tokens: Self.keys)
            for expired in [false, true] {
                await store.beginWatchOutage()
                let made = try await harness.createReady("test_long_key.yaml", tokens: Self.keys)
                await store.endWatchOutage(expired: expired)
                let names = try await harness.getPods().body.arrayValue?.compactMap { $0["pod_name"]?.stringValue } ?? []
                #expect(names.contains(kept) && names.contains(made), "\(names)")
                #expect(try await harness.deletePod(made).status == 200)
                try await harness.waitFor(.pods, made) { $0 == nil }
            }
            try await waitUntil("the cache drops the deleted pods") { harness.backend.cache.pods.count == 1 }
            #expect(harness.backend.cache.pods.lists >= 2)
        }
    }
}
