import Foundation
import Hummingbird
import Shared

/// `delete_all_user` and `clean_all_unused`: operator tools, which upstream let anybody call
/// (W7). Both need the admin credential (`X-Backend-Admin-Secret`).
struct AdminRoutes: Sendable {
    let context: PodsContext

    var collection: RouteCollection<ServiceRequestContext> {
        let routes = RouteCollection(context: ServiceRequestContext.self)
        routes.post("delete_all_user") { request, requestContext in
            try await context.handle(request, requestContext, defaults: ["deleted": false]) { try await deleteAll($0) }
        }
        routes.post("clean_all_unused") { request, requestContext in
            try await context.handle(request, requestContext, defaults: [:]) { try await cleanAll($0) }
        }
        return routes
    }

    private func requireAdmin(_ call: PodRequest) throws {
        guard call.caller.isAdmin else { throw PodsError.forbidden("this endpoint needs the admin credential (X-Backend-Admin-Secret)") }
    }

    /// Every pod of the user and their storage; `deleted` once all are gone (within
    /// timeoutDelete + 30 s, as upstream).
    func deleteAll(_ call: PodRequest) async throws -> JSONValue {
        try requireAdmin(call)
        let user = try call.user()
        let deadline = ContinuousClock.now + context.settings.timeoutDelete + .seconds(30)
        let pods = try await context.cluster.pods(of: user)
        for pod in pods where !pod.isBeingDeleted {
            if let name = pod.name { try await context.cluster.deletePod(name) }
        }
        var allGone = true
        for pod in pods {
            guard let name = pod.name else { continue }
            let gone = await context.cluster.waitGone(.pods, name, timeout: max(.zero, deadline - ContinuousClock.now))
            if gone { try await context.companions.deleteLegacy(forPod: name) }
            allGone = allGone && gone
        }
        guard allGone else { return ["deleted": false] }
        let claims = try await context.storage.claims(of: user).compactMap(\.name)
        try await context.storage.delete(for: user)
        for claim in claims {
            guard await context.cluster.waitGone(.persistentVolumeClaims, claim, timeout: max(.zero, deadline - ContinuousClock.now)) else {
                return ["deleted": false]
            }
        }
        return ["deleted": true]
    }

    /// Companions whose pod is gone, failed pods, and storage of users without pods (older
    /// than timeoutCreate). Answers what was removed.
    func cleanAll(_ call: PodRequest) async throws -> JSONValue {
        try requireAdmin(call)
        let existing = Set(try await context.cluster.pods().compactMap(\.name))
        var orphans: [String: [JSONValue]] = [:]
        for resource in [ResourceDescriptor.services, .ingresses, .secrets] {
            for object in try await context.cluster.list(resource, labelSelector: PodTemplate.Keys.createdForPod) {
                guard let pod = object.labels[PodTemplate.Keys.createdForPod], !existing.contains(pod), let name = object.name else { continue }
                try await context.cluster.delete(resource, name)
                orphans[resource.plural, default: []].append(.string(name))
            }
        }
        let report = await context.lifecycle.sweep()
        return [
            "services": .array(orphans["services"] ?? []), "ingresses": .array(orphans["ingresses"] ?? []),
            "secrets": .array(orphans["secrets"] ?? []),
            "failed_pods": .array(report.failedRemoved.map(JSONValue.string)),
            "storage": .array(report.storageRemoved.map(JSONValue.string)),
        ]
    }
}
