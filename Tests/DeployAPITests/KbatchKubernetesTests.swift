import Essentials
import Foundation
import Kubernetes
import Logging
import ServiceKit
import TestFixtures
import TestSupport
import Testing

@testable import DeployAPI
@testable import KubeSim

/// kbatch submissions against kube-sim (or a real cluster when asked): what is created, in
/// which order, and that a failure at any step leaves nothing of the earlier ones behind.
@Suite("kbatch on Kubernetes")
struct KbatchKubernetesTests {
    static let zip = Data("PK not really a zip".utf8).base64EncodedString()

    /// A submission with fixed names, so a test can make any one step collide.
    static func submission(user: String) throws -> KbatchSubmission {
        let job: JSONValue = [
            "metadata": ["name": "collide"],
            "spec": [
                "template": [
                    "spec": ["restartPolicy": "Never", "containers": [["name": "job", "image": "busybox", "env": [["name": "A", "value": "1"]]]]]
                ]
            ],
        ]
        return try KbatchSubmission.prepare(
            kind: .job, body: ["job": job, "code": ["binaryData": ["code": .string(zip)]]], username: user, token: "t", rules: .init(),
            suffix: "fixed")
    }

    static func names(_ kube: KubernetesClient, _ resource: ResourceDescriptor, _ namespace: String) async throws -> [String] {
        try await kube.listAll(resource, namespace: namespace).items.compactMap(\.name).sorted()
    }

    static func withJobs(
        rules: KbatchSettings.NamespaceRules = .init(), _ body: @Sendable (KubernetesJobs, KubernetesClient, String) async throws -> Void
    ) async throws {
        try await TestCluster.run { cluster in
            let user = "kbatch-test-\(UUID().uuidString.prefix(6).lowercased())"
            let jobs = KubernetesJobs(kube: cluster.client, logger: Logger(label: "kbatch-test"), rules: rules)
            let namespace = KbatchNamespace.name(for: user)
            do {
                try await body(jobs, cluster.client, user)
            } catch {
                try? await cluster.client.delete(.namespaces, name: namespace, ignoreNotFound: true)
                throw error
            }
            try? await cluster.client.delete(.namespaces, name: namespace, ignoreNotFound: true)
        }
    }

    @Test("a submission makes the namespace with its guard rails, the Secret and the ConfigMap owned by the Job, and the Job")
    func made() async throws {
        var rules = KbatchSettings.NamespaceRules()
        rules.resourceQuota = ["requests.cpu": "4", "pods": "10"]
        try await Self.withJobs(rules: rules) { jobs, kube, user in
            let submission = try Self.submission(user: user)
            let answer = try await jobs.submit(submission)
            #expect(answer["metadata"]?["name"] == "collide" && answer["api_version"] == "batch/v1")
            let job = try await kube.get(.jobs, namespace: submission.namespace, name: "collide")
            for (resource, name) in [(ResourceDescriptor.secrets, "collide-env-fixed"), (.configMaps, "collide-code-fixed")] {
                let object = try await kube.get(resource, namespace: submission.namespace, name: name)
                #expect(object.metadata["ownerReferences"]?.arrayValue?.first?["uid"] == .string(job.uid ?? "?"))
            }
            let namespace = try await kube.get(.namespaces, name: submission.namespace)
            #expect(namespace.labels["pod-security.kubernetes.io/enforce"] == "baseline")
            #expect(namespace.labels[KbatchSubmission.ownerKey] == String(submission.namespace.dropFirst(7)))
            let policy = try await kube.get(.networkPolicies, namespace: submission.namespace, name: "kbatch-same-namespace-only")
            #expect(policy["spec"]?["ingress"] == [["from": [["podSelector": [:]]]]])
            let limits = try await kube.get(.limitRanges, namespace: submission.namespace, name: "kbatch-defaults")
            #expect(limits["spec"]?["limits"]?.arrayValue?.first?["default"]?["memory"] == "2Gi")
            let quota = try await kube.get(.resourceQuotas, namespace: submission.namespace, name: "kbatch-quota")
            #expect(quota["spec"]?["hard"]?["pods"] == "10")
        }
    }

    @Test("a namespace deleted behind the deploy API's back is made again, guard rails and all, by the next submission")
    func namespaceMadeAgain() async throws {
        try await Self.withJobs { jobs, kube, user in
            let first = try Self.submission(user: user)
            _ = try await jobs.submit(first)
            try await kube.delete(.namespaces, name: first.namespace)
            try await waitUntil("the namespace is gone", timeout: .seconds(60)) {
                (try? await kube.get(.namespaces, name: first.namespace)) == nil
            }
            _ = try await jobs.submit(first)
            #expect(try await Self.names(kube, .jobs, first.namespace) == ["collide"])
            #expect(try await Self.names(kube, .networkPolicies, first.namespace) == ["kbatch-same-namespace-only"])
        }
    }

    /// The rights the chart's ClusterRole `<release>-kbatch-namespace` holds, bound in each
    /// user's namespace (e2e/test_helm_chart.py checks the chart has exactly these).
    static let namespaceRoleRules: JSONValue = [
        ["apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["get", "list", "create", "delete"]],
        ["apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "patch", "delete"]],
        ["apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "patch", "delete"]],
        ["apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]],
        ["apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]],
        ["apiGroups": [""], "resources": ["limitranges", "resourcequotas"], "verbs": ["create"]],
        ["apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["create"]],
    ]

    @Test("with KBATCH_NAMESPACE_ROLE the deploy API needs no job or Secret rights outside kbatch namespaces: it binds the role in each")
    func rightsBoundPerNamespace() async throws {
        var settings = KubeSimFixture.apiServerOnly
        settings.access = AccessControl(users: [
            .init(
                name: "system:serviceaccount:rexec:deploy-api", token: "deploy-token",
                rules: [
                    .init(apiGroups: [""], resources: ["namespaces"], verbs: ["get", "create"]),
                    .init(apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"]),
                    .init(
                        apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["kbatch-namespace"]),
                ]),
            .init(name: "admin", token: "admin-token", rules: [.init(apiGroups: ["*"], resources: ["*"], verbs: ["*"])]),
        ])
        try await KubeSimFixture.run(settings: settings) { sim in
            let admin = try sim.kubernetesClient(token: "admin-token")
            _ = try await admin.create(
                .clusterRoles, UnstructuredObject(["metadata": ["name": "kbatch-namespace"], "rules": Self.namespaceRoleRules])!)
            let kube = try sim.kubernetesClient(token: "deploy-token")
            var rules = KbatchSettings.NamespaceRules()
            rules.namespaceRole = "kbatch-namespace"
            rules.serviceAccount = ("rexec", "deploy-api")
            rules.resourceQuota = ["pods": "10"]
            let jobs = KubernetesJobs(kube: kube, logger: Logger(label: "kbatch-test"), rules: rules)
            let submission = try Self.submission(user: "ada")
            // Before the first submission: nothing there (the cluster would say 403), not an error.
            #expect(try await jobs.list(.job, namespace: submission.namespace)["items"] == [])
            await #expect(throws: APIError(.notFound, detail: "jobs.batch \"collide\" not found")) {
                try await jobs.get(.job, namespace: submission.namespace, name: "collide")
            }
            _ = try await jobs.submit(submission)
            #expect(try await jobs.list(.job, namespace: submission.namespace)["items"]?.arrayValue?.count == 1)
            let binding = try await admin.get(.roleBindings, namespace: submission.namespace, name: "kbatch-deploy-api")
            #expect(binding["roleRef"]?["name"] == "kbatch-namespace")
            #expect(binding["subjects"] == [["kind": "ServiceAccount", "name": "deploy-api", "namespace": "rexec"]])
            _ = try await jobs.delete(.job, namespace: submission.namespace, name: "collide")
            // Outside kbatch namespaces it can write nothing of the sort.
            await #expect {
                _ = try await kube.create(.secrets, namespace: "default", UnstructuredObject(["metadata": ["name": "x"]]))
            } throws: { ($0 as? KubernetesError)?.isForbidden == true }
        }
    }

    @Test("unfinished jobs per user are capped: the next submission is 429 and makes nothing")
    func activeJobCap() async throws {
        var rules = KbatchSettings.NamespaceRules()
        rules.maxActiveJobs = 1
        try await Self.withJobs(rules: rules) { jobs, kube, user in
            let first = try Self.submission(user: user)
            _ = try await jobs.submit(first)
            var second = first
            second.workload["metadata"]?["name"] = "second"
            second.secret = nil
            second.codeConfigMap = nil
            await #expect {
                _ = try await jobs.submit(second)
            } throws: { error in
                guard let error = error as? APIError, error.status == .tooManyRequests else { return false }
                return error.detail.stringValue?.contains("at most 1 at a time (KBATCH_MAX_ACTIVE_JOBS_PER_USER)") == true
            }
            #expect(try await Self.names(kube, .jobs, first.namespace) == ["collide"])
            // A Job being deleted (in the foreground, it stays until its pod has gone) no longer counts.
            try await kube.delete(.jobs, namespace: first.namespace, name: "collide", propagation: .foreground)
            _ = try await jobs.submit(second)
            try await waitUntil("the deleted Job is gone", timeout: .seconds(30)) {
                try await Self.names(kube, .jobs, first.namespace) == ["second"]
            }
        }
    }

    @Test(
        "a failure at any step (here a name already taken) undoes the earlier steps and relays Kubernetes' 409",
        arguments: ["secret", "configmap", "job"])
    func rollback(step: String) async throws {
        try await Self.withJobs { jobs, kube, user in
            let submission = try Self.submission(user: user)
            try await jobs.ensureNamespace(submission)
            let namespace = submission.namespace
            let taken: (ResourceDescriptor, JSONValue)
            switch step {
            case "secret": taken = (.secrets, ["metadata": ["name": "collide-env-fixed"]])
            case "configmap": taken = (.configMaps, ["metadata": ["name": "collide-code-fixed"]])
            default:
                taken = (
                    .jobs,
                    [
                        "metadata": ["name": "collide"],
                        "spec": ["template": ["spec": ["restartPolicy": "Never", "containers": [["name": "x", "image": "busybox"]]]]],
                    ]
                )
            }
            _ = try await kube.create(taken.0, namespace: namespace, UnstructuredObject(taken.1)!)
            let before = (
                secrets: try await Self.names(kube, .secrets, namespace), configMaps: try await Self.names(kube, .configMaps, namespace),
                jobs: try await Self.names(kube, .jobs, namespace)
            )
            await #expect {
                _ = try await jobs.submit(submission)
            } throws: { ($0 as? APIError)?.status.code == 409 }
            #expect(try await Self.names(kube, .secrets, namespace) == before.secrets)
            #expect(try await Self.names(kube, .configMaps, namespace) == before.configMaps)
            #expect(try await Self.names(kube, .jobs, namespace) == before.jobs)
        }
    }
}
