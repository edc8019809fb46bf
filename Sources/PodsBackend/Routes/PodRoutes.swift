import Foundation
import Hummingbird
import Logging
import Shared

/// The frontend's routes (specs/pods-backend.md §2.2, §11.1): list, create and delete a
/// user's pods and wait for either to finish, plus a user's pod logs and a token refresh.
/// Answers keep upstream's keys and its 200/400 split; failures add a `detail`.
struct PodRoutes: Sendable {
    let context: PodsContext

    var collection: RouteCollection<ServiceRequestContext> {
        let routes = RouteCollection(context: ServiceRequestContext.self)
        routes.post("get_pods") { request, requestContext in
            try await context.handle(request, requestContext, defaults: nil) { try await getPods($0) }
        }
        routes.post("create_pod") { request, requestContext in
            try await context.handle(request, requestContext, defaults: ["pod_name": ""]) { try await createPod($0) }
        }
        routes.post("watch_create_pod") { request, requestContext in
            try await context.handle(request, requestContext, defaults: ["ready": false]) { try await watchCreate($0) }
        }
        routes.post("delete_pod") { request, requestContext in
            try await context.handle(request, requestContext, defaults: ["requested": false]) { try await deletePod($0) }
        }
        routes.post("watch_delete_pod") { request, requestContext in
            try await context.handle(request, requestContext, defaults: ["deleted": true]) { try await watchDelete($0) }
        }
        routes.post("get_pod_logs") { request, requestContext in
            try await context.handle(request, requestContext, defaults: ["logs": ""]) { try await logs($0) }
        }
        routes.post("refresh_tokens") { request, requestContext in
            try await context.handle(request, requestContext, defaults: ["tokens": .object([:])]) { try await refreshTokens($0) }
        }
        return routes
    }

    // MARK: get_pods

    func getPods(_ call: PodRequest) async throws -> JSONValue {
        let user = try call.user()
        async let pods = context.cluster.pods(of: user)
        async let tokens = context.tokens.stored(for: user)
        let listed = try await pods
        let ports = try await context.companions.sshPorts(pods: listed.compactMap(\.name))
        let stored = try await tokens
        // Upstream encoded an empty list as null; the frontend handles it.
        guard !listed.isEmpty else { return .null }
        let now = Date()
        return .array(listed.map { pod in
            PodInfo(pod: pod, tokens: stored[pod.name ?? ""], sshPort: ports[pod.name ?? ""], ingressDomain: context.settings.ingressDomain, now: now).json
        })
    }

    // MARK: create_pod

    func createPod(_ call: PodRequest) async throws -> JSONValue {
        let user = try call.user()
        let url = call.body.string("yaml_url")
        do {
            let name = try await context.creator.create(user: user, yamlURL: url, userSettings: call.body.settings, siloIP: call.siloIP)
            return ["pod_name": .string(name)]
        } catch let refused as PodCreator.Refused {
            throw PodsError.badRequest(refused.description)
        }
    }

    // MARK: watch_create_pod

    /// Waits for the creation to end; `ready` is true once the pod is ready and set up. Other
    /// users' pods and unknown names answer false, as upstream (no leak).
    func watchCreate(_ call: PodRequest) async throws -> JSONValue {
        guard let (pod, _) = try await ownedPod(call) else { return ["ready": false] }
        guard pod.podState != nil else {
            // Upstream's pod (no state label): ready when it is (upstream: when it exists, W11).
            return ["ready": .bool(pod.isPodReady && !pod.isBeingDeleted)]
        }
        let deadline = PodLifecycle.deadline(of: pod, fallback: context.settings.timeoutCreate)
        let budget = max(PodLifecycle.minimumJobBudget, deadline - ContinuousClock.now) + context.settings.leaseMargin
        let final = try? await context.cluster.client.waitUntil(.pods, namespace: context.cluster.namespace, name: pod.name ?? "", timeout: budget) { pod in
            pod == nil || pod!.isBeingDeleted || pod!.podState != .creating
        }
        return ["ready": .bool(final.map { $0.podState == .ready && !$0.isBeingDeleted } ?? false)]
    }

    // MARK: delete_pod

    func deletePod(_ call: PodRequest) async throws -> JSONValue {
        let name = call.body.string("pod_name")
        let user = try call.user()
        guard let pod = try await context.cluster.pod(name) else { throw PodsError.badRequest("pod \(name) not found") }
        guard pod.owner == user else { throw PodsError.badRequest("pod \(name) is not owned by \(user)") }
        guard !pod.isBeingDeleted else { throw PodsError.badRequest("pod \(name) is already being deleted") }
        try await context.cluster.deletePod(name)
        context.metrics.deletions.increment()
        // Storage follows in the background: upstream blocked here for the user's last pod (W10).
        await context.lifecycle.startFollowUp(pod: name, user: user)
        return ["requested": true]
    }

    // MARK: watch_delete_pod

    func watchDelete(_ call: PodRequest) async throws -> JSONValue {
        guard let (pod, _) = try await ownedPod(call), let name = pod.name else { return ["deleted": true] }
        return ["deleted": .bool(await context.cluster.waitGone(.pods, name, timeout: context.settings.timeoutDelete))]
    }

    // MARK: Logs and tokens

    func logs(_ call: PodRequest) async throws -> JSONValue {
        guard let (pod, _) = try await ownedPod(call), let name = pod.name else {
            throw PodsError(status: .notFound, detail: "no such pod of this user")
        }
        let lines = min(max(call.body.int("tail_lines") ?? 1000, 1), 100_000)
        let container = call.body.string("container")
        let text = try await context.cluster.client.logs(
            namespace: context.cluster.namespace, pod: name, container: container.isEmpty ? nil : container, tailLines: lines
        )
        return ["pod_name": .string(name), "logs": .string(text)]
    }

    func refreshTokens(_ call: PodRequest) async throws -> JSONValue {
        guard let (pod, user) = try await ownedPod(call), let name = pod.name else {
            throw PodsError(status: .notFound, detail: "no such pod of this user")
        }
        guard pod.podState != .creating, !pod.isBeingDeleted, pod.isPodReady else {
            throw PodsError(status: .conflict, detail: "pod \(name) is not ready")
        }
        try await context.lifecycle.refreshTokens(of: pod, onlyMissing: false)
        return ["tokens": .object((try await context.tokens.stored(for: user)[name] ?? [:]).mapValues(JSONValue.string))]
    }

    /// The body's pod if the body's user owns it. A user_id the caller may not act for is
    /// refused; an invalid one, like upstream's watches, is just "no such pod".
    private func ownedPod(_ call: PodRequest) async throws -> (UnstructuredObject, UserID)? {
        guard let user = try? UserID(call.body.string("user_id")) else { return nil }
        guard call.caller.mayActFor(user.description) else { throw PodsError.forbidden("the caller may not act for user_id \(user)") }
        let name = call.body.string("pod_name")
        guard DNSName.isSubdomain(name), let pod = try await context.cluster.pod(name), pod.owner == user else { return nil }
        return (pod, user)
    }
}
