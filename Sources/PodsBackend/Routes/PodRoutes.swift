import Access
import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import Kubernetes
import Logging
import ServiceKit
import ServiceLifecycle

/// The frontend's routes (docs/specs/pods-backend.md §2.2, §11.1): list, create and delete a
/// user's pods and wait for either to finish, plus a user's pod logs and a token refresh.
/// Answers keep upstream's keys and its 200/400 split; failures add a `detail`.
struct PodRoutes: ServiceFeature {
    let settings: PodsSettings
    let cluster: PodsCluster
    let tokens: PodTokens
    let companions: PodCompanions
    let creator: PodCreator
    let lifecycle: PodLifecycle
    let address: CallerAddress
    let metrics: PodsMetrics
    /// The watch-fed copy the reads use when it is current (nil: read live).
    var cache: PodsCache?

    /// Ready once the API server answers and the watch-fed copy has listed once.
    var readinessChecks: [ReadinessCheck] {
        let (cluster, cache) = (self.cluster, self.cache)
        return [
            ReadinessCheck(name: "kubernetes") { _ = try await cluster.client.list(.pods, namespace: cluster.namespace, limit: 1) },
            ReadinessCheck(name: "pods_cache") {
                guard cache?.hasSynced ?? true else { throw PodsError(status: .serviceUnavailable, detail: "the pod cache has not synced yet") }
            },
        ]
    }

    /// The watches that feed the copy, and the sweep (unfinished work, expired pods).
    var services: [any Service] {
        (cache.map { [PodsCache.Runner(cache: $0)] } ?? []) + [PodSweeper(lifecycle: lifecycle, interval: settings.sweepInterval)]
    }

    /// The body's user's pods: each route asks the policy once it has read `user_id`
    /// (``PodRequest/user(_:)``). Reads are `pod read`; creating, `pod create`; new tokens and
    /// a later expiry, `pod update`; deleting, `pod delete`.
    var routes: [Route<PodsRequestContext>] {
        typealias Wire = PodsWire
        func access(_ operation: PolicyOperation) -> PolicyAccess { .policy(.pod, operation, .inHandler(.private)) }
        return [
            PodsAnswer.route(
                "/get_pods", "The user's pods (null when there are none).", access: access(.read), body: Wire.UserBody.self,
                answer: [Wire.PodInfoAnswer]?.self, failure: "Invalid user_id", defaults: [:], address: address, getPods),
            PodsAnswer.route(
                "/watch_create_pod", "Wait until the creation ends; ready is false for unknown or other users' pods.", access: access(.read),
                body: Wire.PodBody.self, answer: Wire.Ready.self, failure: "Never (always 200)", defaults: ["ready": false], address: address,
                watchCreate),
            PodsAnswer.route(
                "/watch_delete_pod", "Wait until the pod is gone; deleted is true for unknown or other users' pods.", access: access(.read),
                body: Wire.PodBody.self, answer: Wire.Deleted.self, failure: "Never (always 200)", defaults: ["deleted": true], address: address,
                watchDelete),
            PodsAnswer.route(
                "/get_pod_logs", "A user's own pod's log.", access: access(.read), body: Wire.LogsBody.self, answer: Wire.Logs.self,
                failure: "Invalid user_id", defaults: ["logs": ""], address: address, also: [404: "No such pod of this user: {detail, logs: \"\"}"],
                logs),
            PodsAnswer.route(
                "/create_pod", "Create a pod from a whitelisted manifest; start jobs continue in the background.", access: access(.create),
                body: Wire.CreateBody.self, answer: Wire.PodName.self, failure: "Refused: {pod_name: \"\", detail}", defaults: ["pod_name": ""],
                address: address, createPod),
            PodsAnswer.route(
                "/refresh_tokens", "Read a ready pod's tokens again (/tmp/<key> for each copy-token key).", access: access(.update),
                body: Wire.PodBody.self, answer: Wire.Tokens.self, failure: "Invalid user_id", defaults: ["tokens": .object([:])],
                address: address, also: [404: "No such pod of this user: {detail, tokens: {}}"], refreshTokens),
            PodsAnswer.route(
                "/extend_pod",
                "Push a pod's expiry to now + duration (30d, 12h, 1d12h), at most now + POD_MAX_LIFETIME, never earlier; the owner or an admin.",
                access: access(.update), body: Wire.ExtendBody.self, answer: Wire.Extended.self, failure: "Invalid duration",
                defaults: ["pod_name": "", "expires_at": .null], address: address,
                also: [404: "No such pod of this user", 409: "The pod expired, is being deleted, or kept changing"], extendPod),
            PodsAnswer.route(
                "/delete_pod", "Delete one of the user's pods (storage follows with the last pod, in the background).", access: access(.delete),
                body: Wire.PodBody.self, answer: Wire.Requested.self, failure: "Not found, not owned or already deleting",
                defaults: ["requested": false], address: address, deletePod),
        ]
    }

    // MARK: get_pods

    func getPods(_ call: PodRequest) async throws -> JSONValue {
        let user = try call.user()
        let listed: [UnstructuredObject]
        let ports: [String: String]
        let stored: [String: [String: String]]
        if let cache, await cache.isCurrent() {
            listed = cache.pods(of: user)
            ports = cache.sshPorts(pods: listed.compactMap(\.name))
            stored = cache.tokens(of: user)
        } else {
            async let pods = cluster.pods(of: user)
            async let tokens = tokens.stored(for: user)
            listed = try await pods
            ports = try await companions.sshPorts(pods: listed.compactMap(\.name))
            stored = try await tokens
        }
        // Upstream encoded an empty list as null; the frontend handles it.
        guard !listed.isEmpty else { return .null }
        let now = Date()
        return .array(
            listed.map { pod in
                PodInfo(
                    pod: pod, tokens: stored[pod.name ?? ""], sshPort: ports[pod.name ?? ""], ingressDomain: settings.ingressDomain,
                    lifetime: settings.lifetime, now: now
                )
                .json
            })
    }

    // MARK: create_pod

    func createPod(_ call: PodRequest) async throws -> JSONValue {
        let user = try call.user()
        let url = call.body.string("yaml_url")
        do {
            let name = try await creator.create(user: user, yamlURL: url, userSettings: call.body.settings, siloIP: call.siloIP)
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
            // Upstream's pod (no state label): ready when it is (upstream: when it exists, docs/specs/pods-backend.md W11).
            return ["ready": .bool(pod.isPodReady && !pod.isBeingDeleted)]
        }
        let deadline = PodLifecycle.deadline(of: pod, fallback: settings.timeoutCreate)
        let budget = max(PodLifecycle.minimumJobBudget, deadline - ContinuousClock.now) + settings.leaseMargin
        let final = try? await cluster.client.waitUntil(.pods, namespace: cluster.namespace, name: pod.name ?? "", timeout: budget) { pod in
            pod == nil || pod!.isBeingDeleted || pod!.podState != .creating
        }
        return ["ready": .bool(final.map { $0.podState == .ready && !$0.isBeingDeleted } ?? false)]
    }

    // MARK: delete_pod

    func deletePod(_ call: PodRequest) async throws -> JSONValue {
        let name = call.body.string("pod_name")
        let user = try call.user()
        guard let pod = try await cluster.pod(name) else { throw PodsError.badRequest("pod \(name) not found") }
        guard pod.owner == user else { throw PodsError.badRequest("pod \(name) is not owned by \(user)") }
        guard !pod.isBeingDeleted else { throw PodsError.badRequest("pod \(name) is already being deleted") }
        try await cluster.deletePod(name)
        metrics.deletions.increment()
        // Storage follows in the background: upstream blocked here for the user's last pod (docs/specs/pods-backend.md W10).
        await lifecycle.startFollowUp(pod: name, user: user)
        return ["requested": true]
    }

    // MARK: watch_delete_pod

    func watchDelete(_ call: PodRequest) async throws -> JSONValue {
        guard let (pod, _) = try await ownedPod(call), let name = pod.name else { return ["deleted": true] }
        return ["deleted": .bool(await cluster.waitGone(.pods, name, timeout: settings.timeoutDelete))]
    }

    // MARK: Logs and tokens

    func logs(_ call: PodRequest) async throws -> JSONValue {
        guard let (pod, _) = try await ownedPod(call), let name = pod.name else {
            throw PodsError(status: .notFound, detail: "no such pod of this user")
        }
        let lines = min(max(call.body.int("tail_lines") ?? 1000, 1), 100_000)
        let container = call.body.string("container")
        let text = try await cluster.client.logs(
            namespace: cluster.namespace, pod: name, container: container.isEmpty ? nil : container, tailLines: lines
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
        try await lifecycle.refreshTokens(of: pod, onlyMissing: false)
        return ["tokens": .object((try await tokens.stored(for: user)[name] ?? [:]).mapValues(JSONValue.string))]
    }

    /// `POST /extend_pod {user_id, pod_name, duration}`: the expiry becomes now plus `duration`
    /// (`30d`, `12h`, `1d12h`), at most now plus `POD_MAX_LIFETIME`, and never earlier than it
    /// was. A pod past its expiry is not revived (the reaper is deleting it); an upstream pod
    /// without an expiry gets one from now.
    func extendPod(_ call: PodRequest) async throws -> JSONValue {
        let text = call.body.string("duration")
        guard let duration = PodLifetime.parse(text), duration > .zero else {
            throw PodsError.badRequest("duration must be a lifetime such as 30d, 12h, 90m or 1d12h, not '\(text)'")
        }
        // A pod that changed between reading and writing (the reaper, another extension) is
        // read again: the patch carries the version it was computed from.
        for _ in 0..<3 {
            guard let (pod, user) = try await ownedPod(call), let name = pod.name else {
                throw PodsError(status: .notFound, detail: "no such pod of this user")
            }
            guard !pod.isBeingDeleted else { throw PodsError(status: .conflict, detail: "pod \(name) is being deleted") }
            let now = Date()
            let current = PodLifetime.expiresAt(pod) ?? now
            if PodLifetime.expiresAt(pod) != nil, current <= now {
                throw PodsError(
                    status: .conflict, detail: "pod \(name) expired at \(KubernetesTime.format(current)); an expired pod cannot be extended")
            }
            let expiry = settings.lifetime.extended(from: current, by: duration, now: now)
            do {
                try await cluster.patchMetadata(
                    pod: name, annotations: [PodLifetime.Keys.expiresAt: KubernetesTime.format(expiry)], resourceVersion: pod.resourceVersion)
            } catch let error as KubernetesError where error.code == 409 {
                continue
            }
            metrics.extensions.increment()
            call.logger.info("pod extended", metadata: ["pod": "\(name)", "user": "\(user)", "expires_at": "\(KubernetesTime.format(expiry))"])
            return ["pod_name": .string(name), "expires_at": .string(KubernetesTime.format(expiry))]
        }
        throw PodsError(status: .conflict, detail: "the pod kept changing; try again")
    }

    /// The body's pod if the body's user owns it. A user_id the caller may not act for is
    /// refused; an invalid one, like upstream's watches, is just "no such pod".
    private func ownedPod(_ call: PodRequest) async throws -> (UnstructuredObject, UserID)? {
        guard let user = try? UserID(call.body.string("user_id")) else { return nil }
        try call.requireActingFor(user)
        let name = call.body.string("pod_name")
        guard DNSName.isSubdomain(name), let pod = try await pod(name), pod.owner == user else { return nil }
        return (pod, user)
    }

    /// From the cache when it is current (its copy keeps what these routes read), else live.
    private func pod(_ name: String) async throws -> UnstructuredObject? {
        if let cache, await cache.isCurrent() { return cache.pod(name) }
        return try await cluster.pod(name)
    }
}
