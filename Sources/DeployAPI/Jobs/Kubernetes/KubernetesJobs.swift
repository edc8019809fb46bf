import Essentials
import Foundation
import HTTPTypes
import Kubernetes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceKit
import ServiceLifecycle

/// kbatch's jobs on a Kubernetes cluster (or kube-sim): each user's objects in their own
/// namespace, made in kbatch-proxy's order with every step undone when a later one fails
/// (docs/specs/anchors-platforms.md §A.5), and Kubernetes' errors relayed with their status
/// and message, as upstream since its PR #79. Answers use the Python client's snake_case.
struct KubernetesJobs: KbatchBackend {
    let kube: KubernetesClient
    let logger: Logger
    var rules = KbatchSettings.NamespaceRules()
    /// Namespaces this process has completed (namespace, binding, guard rails).
    private let preparedNamespaces = PreparedNamespaces()
    /// Namespaces this process has seen exist, with the deploy API's RoleBinding when rights are bound per namespace.
    private let knownNamespaces = PreparedNamespaces()

    static func resource(_ kind: KbatchSubmission.Kind) -> ResourceDescriptor { kind == .job ? .jobs : .cronJobs }

    static func resource(_ object: KbatchObject) -> ResourceDescriptor {
        switch object {
        case .job: .jobs
        case .cronJob: .cronJobs
        case .pod: .pods
        }
    }

    var services: [any Service] { [] }

    /// Runs a Kubernetes call, turning its refusal into the same status and message.
    static func relayed<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as KubernetesError where !error.isTransport {
            throw APIError(HTTPResponse.Status(code: error.code), detail: error.message)
        } catch let error as KubernetesError {
            throw APIError(.badGateway, detail: "The cluster cannot be reached: \(error.message)")
        }
    }

    /// The user's namespace, created on first use, labelled with its owner and Pod Security
    /// levels, with what upstream leaves to the admin: a NetworkPolicy letting in only traffic
    /// from the namespace itself, and the configured LimitRange and ResourceQuota. Each is
    /// made when missing, so a namespace from before (or one a step failed in) gets them too.
    func ensureNamespace(_ submission: KbatchSubmission) async throws {
        try await ensureNamespaceObject(submission)
        let namespace = submission.namespace
        try await ensureRoleBinding(namespace)
        knownNamespaces.insert(namespace)
        var guardRails: [(ResourceDescriptor, JSONValue)] = [
            (
                .networkPolicies,
                [
                    "metadata": ["name": "kbatch-same-namespace-only"],
                    "spec": ["podSelector": [:], "policyTypes": ["Ingress"], "ingress": [["from": [["podSelector": [:]]]]]],
                ]
            )
        ]
        if let item = rules.limitRange { guardRails.append((.limitRanges, ["metadata": ["name": "kbatch-defaults"], "spec": ["limits": [item]]])) }
        if let hard = rules.resourceQuota { guardRails.append((.resourceQuotas, ["metadata": ["name": "kbatch-quota"], "spec": ["hard": hard]])) }
        for (resource, object) in guardRails {
            do {
                _ = try await withFreshBinding { try await kube.create(resource, namespace: namespace, UnstructuredObject(object)!) }
            } catch let error as KubernetesError where error.isAlreadyExists {
                continue
            }
        }
    }

    /// With `KBATCH_NAMESPACE_ROLE`, the deploy API's rights in a user's namespace come from a
    /// RoleBinding there to that ClusterRole (the chart lets it `bind` that role and no other),
    /// so Secrets and Jobs can be written only in kbatch namespaces. Made when missing.
    private func ensureRoleBinding(_ namespace: String) async throws {
        guard let role = rules.namespaceRole, let account = rules.serviceAccount else { return }
        let binding = UnstructuredObject([
            "metadata": ["name": "kbatch-deploy-api", "labels": ["app.kubernetes.io/managed-by": "rexec-deploy-api"]],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
            "subjects": [["kind": "ServiceAccount", "name": .string(account.name), "namespace": .string(account.namespace)]],
        ])
        do {
            _ = try await kube.create(.roleBindings, namespace: namespace, binding)
        } catch let error as KubernetesError where error.isAlreadyExists {
            return
        }
    }

    /// A new RoleBinding reaches the API server's authorizer a moment after it is made: a 403
    /// just after is tried again for up to two seconds, when rights are bound per namespace.
    private func withFreshBinding<Value>(_ body: () async throws -> Value) async throws -> Value {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let error as KubernetesError where error.isForbidden && rules.namespaceRole != nil && attempt < 20 {
                attempt += 1
                try await Sleep.for(.milliseconds(100))
            }
        }
    }

    /// A read in the user's namespace. Before their first submission it does not exist, and
    /// `absent` is the answer (an empty list, or 404), whether the cluster says NotFound or,
    /// with rights bound per namespace, Forbidden. A namespace made before this process knew
    /// of it (by another replica, or an earlier version) gets the deploy API's RoleBinding here.
    private func reading<Value>(_ namespace: String, absent: () throws -> Value, _ body: () async throws -> Value) async throws -> Value {
        if !knownNamespaces.contains(namespace) {
            guard try await namespaceExists(namespace) else { return try absent() }
            try await ensureRoleBinding(namespace)
            knownNamespaces.insert(namespace)
        }
        do {
            return try await withFreshBinding(body)
        } catch let error as KubernetesError where error.isForbidden || (error.isNotFound && error.message.hasPrefix("namespaces ")) {
            // Deleted since: nothing there.
            guard try await !namespaceExists(namespace) else { throw error }
            knownNamespaces.remove(namespace)
            preparedNamespaces.remove(namespace)
            return try absent()
        }
    }

    private func namespaceExists(_ namespace: String) async throws -> Bool {
        do {
            _ = try await kube.get(.namespaces, name: namespace)
            return true
        } catch let error as KubernetesError where error.isNotFound {
            return false
        }
    }

    /// At most `maxActiveJobs` unfinished Jobs a user: the next is 429.
    func checkActiveJobs(namespace: String) async throws {
        guard rules.maxActiveJobs > 0 else { return }
        let jobs = try await items(.jobs, namespace: namespace)
        let active = jobs.filter { !$0.isBeingDeleted && !KbatchAnswers.isFinished($0.json) }.count
        if active >= rules.maxActiveJobs { throw KbatchAnswers.tooManyActiveJobs(active, max: rules.maxActiveJobs) }
    }

    private func ensureNamespaceObject(_ submission: KbatchSubmission) async throws {
        let owner = String(submission.namespace.dropFirst(KbatchNamespace.prefix.count))
        let namespace = UnstructuredObject([
            "metadata": [
                "name": .string(submission.namespace),
                "labels": [
                    KbatchSubmission.ownerKey: .string(owner), "app.kubernetes.io/managed-by": "rexec-deploy-api",
                    "pod-security.kubernetes.io/enforce": .string(rules.podSecurityLevel), "pod-security.kubernetes.io/warn": "restricted",
                ],
            ]
        ])
        do {
            _ = try await kube.create(.namespaces, namespace)
        } catch let error as KubernetesError where error.isAlreadyExists {
            return
        }
    }

    /// Namespace, Secret, ConfigMap, workload, then the Secret and ConfigMap owned by the
    /// workload (so they go with it). A failure at any step deletes what was made before it.
    /// A namespace this process has completed (with its guard rails) is not made again, which
    /// saves three calls a submission; if it was deleted since, the first create in it fails
    /// NotFound, and the namespace is made again and the submission tried once more.
    func submit(_ submission: KbatchSubmission) async throws -> JSONValue {
        try await Self.relayed {
            // The namespace first: the cap counts Jobs in it, and with rights bound per
            // namespace nothing can be read there before it (and its binding) exists.
            try await prepareNamespace(submission)
            if submission.kind == .job { try await checkActiveJobs(namespace: submission.namespace) }
            do {
                return try await createObjects(submission)
            } catch let error as KubernetesError where error.isNotFound && error.message.hasPrefix("namespaces ") {
                preparedNamespaces.remove(submission.namespace)
                try await prepareNamespace(submission)
                return try await createObjects(submission)
            }
        }
    }

    /// The namespace made complete, unless this process already did.
    private func prepareNamespace(_ submission: KbatchSubmission) async throws {
        guard !preparedNamespaces.contains(submission.namespace) else { return }
        try await ensureNamespace(submission)
        preparedNamespaces.insert(submission.namespace)
    }

    /// A Job's pods, oldest first.
    private func jobPods(namespace: String, job: String) async throws -> [UnstructuredObject] {
        KbatchAnswers.oldestFirst(try await items(.pods, namespace: namespace, labelSelector: "job-name=\(job)"), \.json)
    }

    private func createObjects(_ submission: KbatchSubmission) async throws -> JSONValue {
        var made: [(ResourceDescriptor, String)] = []
        do {
            var workload = submission.workload
            if let secret = submission.secret, let object = UnstructuredObject(secret) {
                let created = try await kube.create(.secrets, namespace: submission.namespace, object)
                made.append((.secrets, created.name ?? ""))
            }
            if let configMap = submission.codeConfigMap, let object = UnstructuredObject(configMap) {
                let created = try await kube.create(.configMaps, namespace: submission.namespace, object)
                made.append((.configMaps, created.name ?? ""))
            }
            guard let object = UnstructuredObject(workload) else { throw APIError.validation("Input should be an object", field: "job") }
            let created = try await kube.create(Self.resource(submission.kind), namespace: submission.namespace, object)
            made.append((Self.resource(submission.kind), created.name ?? ""))
            workload = created.json
            let owner: JSONValue = [
                "apiVersion": "batch/v1", "kind": .string(submission.kind.rawValue), "name": .string(created.name ?? ""),
                "uid": .string(created.uid ?? ""), "blockOwnerDeletion": true,
            ]
            for (resource, name) in made.dropLast() {
                _ = try await kube.patch(resource, namespace: submission.namespace, name: name, ["metadata": ["ownerReferences": [owner]]])
            }
            return KbatchAnswers.object(workload)
        } catch {
            if let unknown = error as? KubernetesError, unknown.leavesOutcomeUnknown {
                // The user is told the submission failed: nothing of it may appear later.
                removeIfCreatedLater(submission)
            }
            for (resource, name) in made.reversed() {
                do {
                    try await kube.delete(resource, namespace: submission.namespace, name: name, propagation: .foreground, ignoreNotFound: true)
                } catch {
                    logger.error(
                        "kbatch rollback left an object behind",
                        metadata: ["namespace": "\(submission.namespace)", "object": "\(name)", "error": "\(error)"])
                }
            }
            throw error
        }
    }

    /// How long objects from create calls reported failed are looked for.
    static let abandonedSubmissionWindow: Duration = .seconds(300)

    /// After a submission failed on a call whose outcome is unknown (timed out, cut off), the
    /// API server may still make what that call asked for, after the user was told it failed
    /// and the rollback ran: its Secret, its ConfigMap (names unique to the submission) or its
    /// workload (found by the submission label, its name may be generated). Whatever turns up
    /// within ``abandonedSubmissionWindow`` is deleted; looked for every two seconds.
    private func removeIfCreatedLater(_ submission: KbatchSubmission) {
        guard let suffix = submission.workload["metadata"]?["labels"]?[KbatchSubmission.submissionKey]?.stringValue else { return }
        var named: [(ResourceDescriptor, String)] = []
        if let name = submission.secret?["metadata"]?["name"]?.stringValue { named.append((.secrets, name)) }
        if let name = submission.codeConfigMap?["metadata"]?["name"]?.stringValue { named.append((.configMaps, name)) }
        let workloads = Self.resource(submission.kind)
        let (kube, logger, namespace) = (kube, logger, submission.namespace)
        Task {
            let deadline = ContinuousClock.now + Self.abandonedSubmissionWindow
            while ContinuousClock.now < deadline, !Task.isCancelled {
                var found: [(ResourceDescriptor, String)] = []
                for (resource, name) in named where (try? await kube.get(resource, namespace: namespace, name: name)) != nil {
                    found.append((resource, name))
                }
                let late =
                    (try? await kube.listAll(workloads, namespace: namespace, labelSelector: "\(KbatchSubmission.submissionKey)=\(suffix)").items)
                    ?? []
                found += late.compactMap { $0.name.map { (workloads, $0) } }
                for (resource, name) in found {
                    try? await kube.delete(resource, namespace: namespace, name: name, ignoreNotFound: true)
                    logger.warning(
                        "an object of a failed kbatch submission turned up later; deleted",
                        metadata: ["namespace": "\(namespace)", "kind": "\(resource.plural)", "name": "\(name)"])
                }
                try? await Sleep.for(.seconds(2))
            }
        }
    }

    /// The objects of `resource` in a user's namespace; none before the namespace exists.
    private func items(_ resource: ResourceDescriptor, namespace: String, labelSelector: String? = nil) async throws -> [UnstructuredObject] {
        do {
            return try await kube.listAll(resource, namespace: namespace, labelSelector: labelSelector).items
        } catch let error as KubernetesError where error.isNotFound {
            return []
        }
    }

    /// The user's Jobs or CronJobs.
    func list(_ kind: KbatchSubmission.Kind, namespace: String) async throws -> JSONValue {
        try await Self.relayed {
            let found = try await reading(namespace, absent: { [] }) { try await items(Self.resource(kind), namespace: namespace) }
            return KbatchAnswers.list(apiVersion: "batch/v1", kind: kind.rawValue + "List", found.map(\.json))
        }
    }

    func get(_ object: KbatchObject, namespace: String, name: String) async throws -> JSONValue {
        try await Self.relayed {
            try await reading(namespace, absent: { throw KbatchAnswers.notFound(object, name) }) {
                KbatchAnswers.object(try await kube.get(Self.resource(object), namespace: namespace, name: name).json)
            }
        }
    }

    /// Foreground deletion, as upstream: the pods, Secret and ConfigMap go first.
    func delete(_ kind: KbatchSubmission.Kind, namespace: String, name: String) async throws -> JSONValue {
        try await Self.relayed {
            try await reading(namespace, absent: { throw KbatchAnswers.notFound(KbatchObject(kind), name) }) {
                try await kube.delete(Self.resource(kind), namespace: namespace, name: name, propagation: .foreground)
                return KbatchAnswers.deleted(kind, name: name)
            }
        }
    }

    /// The user's pods, those of one Job with `jobName`.
    func pods(namespace: String, jobName: String?) async throws -> JSONValue {
        try await Self.relayed {
            let found = try await reading(namespace, absent: { [] }) {
                try await items(.pods, namespace: namespace, labelSelector: jobName.map { "job-name=\($0)" })
            }
            return KbatchAnswers.list(apiVersion: "v1", kind: "PodList", found.map(\.json))
        }
    }

    /// A pod's log; given a Job's name instead (kbatch 0.4.2 sends a pod's, later ones a
    /// Job's), the logs of all its pods, oldest first, each under a header line when several.
    func logs(namespace: String, name: String) async throws -> String {
        try await Self.relayed {
            try await reading(namespace, absent: { throw KbatchAnswers.noPodOrJob(name) }) {
                try await logsInNamespace(namespace, name: name)
            }
        }
    }

    private func logsInNamespace(_ namespace: String, name: String) async throws -> String {
        if (try? await kube.get(.pods, namespace: namespace, name: name)) != nil {
            return try await kube.logs(namespace: namespace, pod: name)
        }
        let pods = try await jobPods(namespace: namespace, job: name)
        guard !pods.isEmpty else { throw KbatchAnswers.noPodOrJob(name) }
        var logs: [(pod: String, text: String)] = []
        for pod in pods {
            guard let podName = pod.name else { continue }
            logs.append((podName, try await kube.logs(namespace: namespace, pod: podName)))
        }
        return KbatchAnswers.joinedLogs(logs)
    }

    /// A pod's log followed live; given a Job's name, each of its pods' in turn (a header line
    /// marks each later one), until the Job has finished and its last pod's log has ended.
    func followLogs(namespace: String, name: String) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        // Resolved first, so an unknown name is a 404 rather than an empty answer.
        let isPod = try await Self.relayed {
            try await reading(namespace, absent: { throw KbatchAnswers.noPodOrJob(name) }) { () -> Bool in
                if (try? await self.kube.get(.pods, namespace: namespace, name: name)) != nil { return true }
                do {
                    _ = try await self.kube.get(.jobs, namespace: namespace, name: name)
                    return false
                } catch let error as KubernetesError where error.isNotFound {
                    throw KbatchAnswers.noPodOrJob(name)
                }
            }
        }
        let kube = kube
        return KbatchAnswers.followed(
            name, isPod: isPod, pollInterval: .seconds(1),
            pods: { try await self.jobPods(namespace: namespace, job: name).compactMap(\.name) },
            // Over once it has finished, or is gone.
            jobIsOver: { (try? await kube.get(.jobs, namespace: namespace, name: name)).map { KbatchAnswers.isFinished($0.json) } ?? true },
            follow: { pod, send in
                for try await chunk in kube.followLogs(namespace: namespace, pod: pod) { send(chunk) }
            })
    }
}

/// The namespaces a ``KubernetesJobs`` has made complete, shared by its copies.
final class PreparedNamespaces: Sendable {
    private let names = NIOLockedValueBox(Set<String>())

    func contains(_ name: String) -> Bool { names.withLockedValue { $0.contains(name) } }
    func insert(_ name: String) { _ = names.withLockedValue { $0.insert(name) } }
    func remove(_ name: String) { _ = names.withLockedValue { $0.remove(name) } }
}
