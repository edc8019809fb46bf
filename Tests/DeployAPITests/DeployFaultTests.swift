import Essentials
import Foundation
import KubeSim
import Kubernetes
import Logging
import ServiceKit
import TestFixtures
import TestSupport
import Testing

@testable import DeployAPI

/// The Kubernetes API failing under the deploy API (kube-sim's ``APIFaults``): spawns and
/// kbatch submissions get a clear 5xx in bounded time, and once the API is back a retry
/// converges, with no duplicate or orphaned object (each kind listed).
@Suite("Deploy API: Kubernetes API faults")
struct DeployFaultTests {
    static let requirements = ["python==3.11", "numpy>=1.26"]
    static let zip = Data("PK not really a zip".utf8).base64EncodedString()

    static func submission(user: String, job: String, suffix: String) throws -> KbatchSubmission {
        let body: JSONValue = [
            "job": [
                "metadata": ["name": .string(job)],
                "spec": [
                    "template": [
                        "spec": [
                            "restartPolicy": "Never", "containers": [["name": "job", "image": "busybox", "env": [["name": "A", "value": "1"]]]],
                        ]
                    ]
                ],
            ],
            "code": ["binaryData": ["code": .string(zip)]],
        ]
        return try KbatchSubmission.prepare(kind: .job, body: body, username: user, token: "t", rules: .init(), suffix: suffix)
    }

    /// Names of the kinds a submission makes, in a namespace.
    static func made(_ kube: KubernetesClient, _ namespace: String) async throws -> [String: [String]] {
        var found: [String: [String]] = [:]
        for kind in [ResourceDescriptor.jobs, .secrets, .configMaps] {
            found[kind.plural] = try await kube.listAll(kind, namespace: namespace).items.compactMap(\.name).sorted()
        }
        return found
    }

    static func withJobs(_ body: @Sendable (KubernetesJobs, KubernetesClient, KubeSimulator, String) async throws -> Void) async throws {
        try await TestCluster.run { cluster in
            guard let simulator = cluster.simulator else { return }
            let user = "fault-\(UUID().uuidString.prefix(6).lowercased())"
            let jobs = KubernetesJobs(kube: cluster.client, logger: Logger(label: "kbatch-fault-test"), rules: .init())
            try await body(jobs, cluster.client, simulator, user)
            try? await cluster.client.delete(.namespaces, name: KbatchNamespace.name(for: user), ignoreNotFound: true)
        }
    }

    static func status(of call: () async throws -> Any) async -> Int? {
        do {
            _ = try await call()
            return 200
        } catch let error as APIError {
            return Int(error.status.code)
        } catch {
            return nil
        }
    }

    @Test("kbatch submit with the API down: a 5xx at once, nothing made; back up, a retry makes one Job with its Secret and code")
    func submitWhileDown() async throws {
        try await Self.withJobs { jobs, kube, simulator, user in
            let submission = try Self.submission(user: user, job: "analysis", suffix: "first")
            await simulator.faults.set(.init(status: 503))
            let started = ContinuousClock.now
            let status = await Self.status { try await jobs.submit(submission) }
            #expect(status == 503)
            #expect(ContinuousClock.now - started < .seconds(5))
            await simulator.faults.reset()
            _ = try await jobs.submit(submission)
            #expect(
                try await Self.made(kube, submission.namespace) == [
                    "jobs": ["analysis"], "secrets": ["analysis-env-first"], "configmaps": ["analysis-code-first"],
                ])
        }
    }

    @Test(
        "kbatch submit while creates hang: a 5xx within the client's timeout; what the held calls make later is removed; a retry converges")
    func submitWhileHanging() async throws {
        try await Self.withJobs { jobs, kube, simulator, user in
            // The namespace and its guard rails exist (an earlier submission), so the held
            // calls are the submission's own: its Secret first.
            _ = try await jobs.submit(try Self.submission(user: user, job: "warm", suffix: "warm"))
            let failed = try Self.submission(user: user, job: "analysis", suffix: "lost")
            await simulator.faults.set(.init(hold: true, methods: ["POST"]))
            let started = ContinuousClock.now
            async let attempt = Self.status { try await jobs.submit(failed) }
            try await waitUntil("the Secret's create is parked") { await simulator.faults.parkedCount > 0 }
            let status = await attempt
            #expect(status.map { (500...599).contains($0) && $0 != 500 } == true, "\(String(describing: status))")
            #expect(ContinuousClock.now - started < .seconds(30))
            // The held create now runs: the API server makes the Secret after all.
            await simulator.faults.reset()

            let retry = try Self.submission(user: user, job: "analysis", suffix: "retry")
            _ = try await jobs.submit(retry)
            let expected: [String: [String]] = [
                "jobs": ["analysis", "warm"], "secrets": ["analysis-env-retry", "warm-env-warm"],
                "configmaps": ["analysis-code-retry", "warm-code-warm"],
            ]
            try await waitUntil("only the retry's objects are left", timeout: .seconds(30)) {
                try await Self.made(kube, failed.namespace) == expected
            }
        }
    }

    @Test("spawn with the API down: a 5xx at once; back up, a retry makes one server")
    func spawnWhileDown() async throws {
        try await DeployHarness.run { harness in
            guard let simulator = harness.simulator else { return }
            await simulator.faults.set(.init(status: 503))
            let refused = try await harness.spawn(Self.requirements)
            #expect((500...599).contains(refused.status) && refused.status != 500, "\(refused.status) \(refused.text)")
            await simulator.faults.reset()
            let created = try await harness.spawn(Self.requirements)
            #expect(created.status == 200, "\(created.text)")
            let namespace = harness.namespace(for: DeployHarness.demoSub)
            #expect(try await harness.kube.list(AppsV1.Deployment.self, namespace: namespace).count == 1)
        }
    }

    @Test("spawn while creates hang: a 5xx in bounded time; after release a retry converges on one server")
    func spawnWhileHanging() async throws {
        try await DeployHarness.run(environment: ["REXEC_KUBERNETES_TIMEOUT_SECONDS": "3"]) { harness in
            guard let simulator = harness.simulator else { return }
            await simulator.faults.set(.init(hold: true, methods: ["POST"]))
            let started = ContinuousClock.now
            async let attempt = harness.spawn(Self.requirements)
            try await waitUntil("a create is parked") { await simulator.faults.parkedCount > 0 }
            let answered = try await attempt
            #expect((500...599).contains(answered.status) && answered.status != 500, "\(answered.status) \(answered.text)")
            #expect(ContinuousClock.now - started < .seconds(15))
            await simulator.faults.reset()
            let namespace = harness.namespace(for: DeployHarness.demoSub)
            try await waitUntil("a retry converges", timeout: .seconds(40)) {
                let retry = try await harness.spawn(Self.requirements)
                return retry.status == 200
            }
            #expect(try await harness.kube.list(AppsV1.Deployment.self, namespace: namespace).count == 1)
            #expect(try await harness.kube.list(CoreV1.ConfigMap.self, namespace: namespace).count <= 2)
        }
    }
}
