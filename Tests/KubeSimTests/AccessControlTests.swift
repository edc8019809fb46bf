import Foundation
import Kubernetes
import TestFixtures
import Testing

@testable import KubeSim

/// kube-sim's optional authentication and RBAC-like rules, through the real client.
@Suite("kube-sim access control")
struct AccessControlTests {
    static let policy = AccessControl(users: [
        .init(
            name: "system:serviceaccount:rexec:deploy-api", token: "deploy-token",
            rules: [
                .init(apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "create", "delete"]),
                .init(apiGroups: [""], resources: ["configmaps"], verbs: ["*"], namespaces: ["rexec-server-*"]),
                .init(apiGroups: [""], resources: ["pods/log"], verbs: ["get"]),
            ]),
        .init(name: "admin", token: "admin-token", rules: [.init(apiGroups: ["*"], resources: ["*"], verbs: ["*"])]),
    ])

    static func client(_ sim: KubeSimFixture, token: String?) throws -> KubernetesClient {
        try sim.kubernetesClient(token: token)
    }

    @Test("no token or an unknown one is 401; rules allow and forbid with the API server's wording")
    func rules() async throws {
        var settings = KubeSimFixture.apiServerOnly
        settings.access = Self.policy
        try await KubeSimFixture.run(settings: settings) { sim in
            await #expect { _ = try await Self.client(sim, token: nil).list(.namespaces) } throws: { ($0 as? KubernetesError)?.code == 401 }
            await #expect { _ = try await Self.client(sim, token: "stolen").list(.namespaces) } throws: { ($0 as? KubernetesError)?.code == 401 }

            let deployAPI = try Self.client(sim, token: "deploy-token")
            _ = try await deployAPI.create(.namespaces, UnstructuredObject(["metadata": ["name": "rexec-server-alice"]]))
            _ = try await deployAPI.create(.configMaps, namespace: "rexec-server-alice", UnstructuredObject(["metadata": ["name": "reqs"]]))

            await #expect {
                _ = try await deployAPI.create(.configMaps, namespace: "default", UnstructuredObject(["metadata": ["name": "nope"]]))
            } throws: { error in
                guard let error = error as? KubernetesError else { return false }
                return error.isForbidden
                    && error.message
                        == #"configmaps is forbidden: User "system:serviceaccount:rexec:deploy-api" cannot create resource "configmaps" in API group "" in the namespace "default""#
            }
            await #expect { _ = try await deployAPI.list(.secrets, namespace: "rexec-server-alice") } throws: {
                ($0 as? KubernetesError)?.isForbidden == true
            }
            await #expect { _ = try await deployAPI.list(.pods, namespace: "rexec-server-alice") } throws: {
                ($0 as? KubernetesError)?.isForbidden == true
            }

            let admin = try Self.client(sim, token: "admin-token")
            _ = try await admin.create(.pods, namespace: "rexec-server-alice", UnstructuredObject(KubeSimFixture.pod("p").objectValue!))
            #expect(try await deployAPI.logs(namespace: "rexec-server-alice", pod: "p") == "")  // pods/log is granted, pods is not

            let denied = Self.policy.decisions.filter { !$0.allowed }.map(\.description)
            #expect(
                denied == [
                    "DENIED system:serviceaccount:rexec:deploy-api create configmaps in default",
                    "DENIED system:serviceaccount:rexec:deploy-api list secrets in rexec-server-alice",
                    "DENIED system:serviceaccount:rexec:deploy-api list pods in rexec-server-alice",
                ])
            let audit = try await sim.call(.get, "/_sim/access")
            #expect(audit.body["enabled"] == true)
            #expect(audit.body["decisions"]?.arrayValue?.filter { $0["allowed"] == false }.count == 3)
        }
    }

    @Test("a RoleBinding grants its role's rights in its namespace only; binding a role needs `bind` on it")
    func roleBindings() async throws {
        var settings = KubeSimFixture.apiServerOnly
        settings.access = AccessControl(users: [
            .init(
                name: "system:serviceaccount:rexec:deploy-api", token: "deploy-token",
                rules: [
                    .init(apiGroups: [""], resources: ["namespaces"], verbs: ["create"]),
                    .init(apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"]),
                    .init(
                        apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["jobs-in-namespace"]),
                ]),
            .init(name: "admin", token: "admin-token", rules: [.init(apiGroups: ["*"], resources: ["*"], verbs: ["*"])]),
        ])
        try await KubeSimFixture.run(settings: settings) { sim in
            let admin = try Self.client(sim, token: "admin-token")
            _ = try await admin.create(
                .clusterRoles,
                UnstructuredObject([
                    "metadata": ["name": "jobs-in-namespace"],
                    "rules": [["apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "delete"]]],
                ]))
            let deployAPI = try Self.client(sim, token: "deploy-token")
            for namespace in ["kbatch-ada", "kbatch-bob"] {
                _ = try await deployAPI.create(.namespaces, UnstructuredObject(["metadata": ["name": .string(namespace)]]))
            }
            let secret = UnstructuredObject(["metadata": ["name": "env"], "stringData": ["A": "1"]])
            await #expect { _ = try await deployAPI.create(.secrets, namespace: "kbatch-ada", secret) } throws: {
                ($0 as? KubernetesError)?.isForbidden == true
            }
            func binding(_ role: String) -> UnstructuredObject {
                UnstructuredObject([
                    "metadata": ["name": "deploy-api"],
                    "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
                    "subjects": [["kind": "ServiceAccount", "name": "deploy-api", "namespace": "rexec"]],
                ])
            }
            _ = try await deployAPI.create(.roleBindings, namespace: "kbatch-ada", binding("jobs-in-namespace"))
            _ = try await deployAPI.create(.secrets, namespace: "kbatch-ada", secret)
            // Only there, only what the role says.
            await #expect { _ = try await deployAPI.create(.secrets, namespace: "kbatch-bob", secret) } throws: {
                ($0 as? KubernetesError)?.isForbidden == true
            }
            await #expect { _ = try await deployAPI.get(.secrets, namespace: "kbatch-ada", name: "env") } throws: {
                ($0 as? KubernetesError)?.isForbidden == true
            }
            // No escalation: another role cannot be bound.
            await #expect { _ = try await deployAPI.create(.roleBindings, namespace: "kbatch-bob", binding("cluster-admin")) } throws: { error in
                guard let error = error as? KubernetesError else { return false }
                return error.isForbidden && error.message.contains("attempting to grant RBAC permissions not currently held")
            }
        }
    }
}
