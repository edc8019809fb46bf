import Foundation
import KubeSim
import Kubernetes
import TestFixtures
import TestSupport
import Testing

@testable import PodsBackend

/// The Kubernetes API failing under the backend (kube-sim's ``APIFaults``): every request
/// gets a clear answer in bounded time, and once the API is back a retry converges, with no
/// duplicate or orphaned object left (each kind listed).
@Suite("Pods backend: Kubernetes API faults")
struct PodsFaultTests {
    static let kinds: [ResourceDescriptor] = [.pods, .secrets, .services, .persistentVolumeClaims]

    /// Every object of the test user, by kind.
    static func userObjects(_ harness: PodsHarness) async throws -> [String: [String]] {
        var found: [String: [String]] = [:]
        for kind in kinds {
            let names = try await harness.objects(kind).compactMap(\.name)
            if !names.isEmpty { found[kind.plural] = names.sorted() }
        }
        return found
    }

    @Test("API down during create_pod: a 5xx at once and nothing created; back up, a retry creates one pod")
    func downDuringCreate() async throws {
        try await PodsHarness.run { harness in
            guard let simulator = harness.cluster.simulator else { return }
            let before = try await Self.userObjects(harness)
            await simulator.faults.set(.init(status: 503))
            let started = ContinuousClock.now
            let refused = try await harness.createPod("test_long_key.yaml")
            #expect((500...599).contains(refused.status) && refused.status != 500, "\(refused.status) \(refused.text)")
            #expect(ContinuousClock.now - started < .seconds(15))
            // Reads come from the watch-fed copy meanwhile.
            let listed = try await harness.getPods()
            #expect(listed.status == 200, "\(listed.status) \(listed.text)")
            await simulator.faults.reset()
            #expect(try await Self.userObjects(harness) == before)

            let name = try await harness.createReady("test_long_key.yaml", tokens: ["key": "k"])
            let pods = try await harness.objects(.pods).compactMap(\.name)
            #expect(pods == [name])
        }
    }

    @Test(
        "API hanging during create_pod (every call, or only its creates): answered in bounded time; after release, a retry converges, no orphans",
        arguments: [nil, ["POST"]] as [Set<String>?])
    func hangDuringCreate(methods: Set<String>?) async throws {
        try await PodsHarness.run(environment: ["BACKEND_TIMEOUTCREATE": "3s"]) { harness in
            guard let simulator = harness.cluster.simulator else { return }
            await simulator.faults.set(.init(hold: true, methods: methods))
            let started = ContinuousClock.now
            async let attempt = harness.createPod("test_long_key.yaml")
            try await waitUntil("the backend's call is parked") { await simulator.faults.parkedCount > 0 }
            // The held request may run or not; either way the backend must not be stuck on it.
            let answered = try await attempt
            let took = ContinuousClock.now - started
            #expect(answered.status != 500, "\(answered.status) \(answered.text)")
            await simulator.faults.reset()
            #expect(took < .seconds(30), "\(took)")

            // A retry converges: the user ends with one ready pod, and nothing else is left
            // once the sweep has passed (failed creations are cleaned up).
            let name = try await harness.createReady("test_long_key.yaml", tokens: ["key": "k"])
            try await waitUntil("only the retried pod remains", timeout: .seconds(30)) {
                try await harness.objects(.pods).compactMap(\.name) == [name]
            }
            if methods == ["POST"] {
                // The held create ran after the backend had answered 502: that pod was removed.
                let metrics = try await harness.request(.get, "/metrics")
                #expect(metrics.text.contains("user_pods_abandoned_creations_total 1"), "\(metrics.text)")
            }
            let secrets = try await harness.objects(.secrets).compactMap(\.name)
            #expect(secrets.allSatisfy { $0.contains(name) }, "\(secrets)")
        }
    }
}
