import Access
import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import Kubernetes
import ServiceKit

/// `delete_all_user` and `clean_all_unused`: operator tools, which upstream let anybody call
/// (docs/specs/pods-backend.md W7). Both are `pod delete` of every user's pods (mode
/// protected), which the default policy leaves to the admin credential (`X-Backend-Admin-Secret`).
struct AdminRoutes: ServiceFeature {
    let cluster: PodsCluster
    let storage: UserStorage
    let companions: PodCompanions
    let lifecycle: PodLifecycle
    let address: CallerAddress
    let timeoutDelete: Duration

    var routes: [Route<PodsRequestContext>] {
        let everyUsersPods = PolicyAccess.policy(.pod, .delete, .fixed(.protected))
        return [
            PodsAnswer.route(
                "/delete_all_user", "Admin: delete every pod of a user and their storage, and wait.", access: everyUsersPods,
                body: PodsWire.UserBody.self, answer: PodsWire.Deleted.self, failure: "Invalid user_id", defaults: ["deleted": false],
                address: address, tags: "admin", deleteAll),
            PodsAnswer.route(
                "/clean_all_unused", "Admin: remove companions of vanished pods, failed pods and unused storage.", access: everyUsersPods,
                body: JSONValue.self, answer: JSONValue.self, failure: "Never", defaults: [:], address: address, tags: "admin"
            ) { _ in try await cleanAll() },
        ]
    }

    /// Every pod of the user and their storage; `deleted` once all are gone (within
    /// timeoutDelete + 30 s, as upstream).
    func deleteAll(_ call: PodRequest) async throws -> JSONValue {
        let user = try call.user()
        let deadline = ContinuousClock.now + timeoutDelete + .seconds(30)
        let pods = try await cluster.pods(of: user)
        for pod in pods where !pod.isBeingDeleted {
            if let name = pod.name { try await cluster.deletePod(name) }
        }
        var allGone = true
        for pod in pods {
            guard let name = pod.name else { continue }
            let gone = await cluster.waitGone(.pods, name, timeout: max(.zero, deadline - ContinuousClock.now))
            if gone { try await companions.deleteLegacy(forPod: name) }
            allGone = allGone && gone
        }
        guard allGone else { return ["deleted": false] }
        let claims = try await storage.claims(of: user).compactMap(\.name)
        try await storage.delete(for: user)
        for claim in claims {
            guard await cluster.waitGone(.persistentVolumeClaims, claim, timeout: max(.zero, deadline - ContinuousClock.now)) else {
                return ["deleted": false]
            }
        }
        return ["deleted": true]
    }

    /// Companions whose pod is gone, failed pods, and storage of users without pods (older
    /// than timeoutCreate). Answers what was removed.
    func cleanAll() async throws -> JSONValue {
        let existing = Set(try await cluster.pods().compactMap(\.name))
        var orphans: [String: [JSONValue]] = [:]
        for resource in [ResourceDescriptor.services, .ingresses, .secrets] {
            for object in try await cluster.list(resource, labelSelector: PodTemplate.Keys.createdForPod) {
                guard let pod = object.labels[PodTemplate.Keys.createdForPod], !existing.contains(pod), let name = object.name else { continue }
                try await cluster.delete(resource, name)
                orphans[resource.plural, default: []].append(.string(name))
            }
        }
        let report = await lifecycle.sweep()
        return [
            "services": .array(orphans["services"] ?? []), "ingresses": .array(orphans["ingresses"] ?? []),
            "secrets": .array(orphans["secrets"] ?? []),
            "failed_pods": .array(report.failedRemoved.map(JSONValue.string)),
            "storage": .array(report.storageRemoved.map(JSONValue.string)),
        ]
    }
}
