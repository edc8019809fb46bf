import Essentials
import Foundation
import Kubernetes
import Logging

/// The start jobs of one pod (docs/specs/pods-backend.md §2.3.3), resumable by any replica: wait
/// for its storage and readiness, make its ssh Service and Ingress, read its tokens, then
/// mark it ready. On a timeout or an error the pod is marked failed and deleted (and with it,
/// by ownership, everything made for it).
struct CreationJob: Sendable {
    let podName: String
    let cluster: PodsCluster
    let storage: UserStorage
    let companions: PodCompanions
    let tokens: PodTokens
    let metrics: PodsMetrics
    let logger: Logger
    /// How often a missing token is looked for again, and for how long after readiness.
    var tokenRetryInterval: Duration = .seconds(1)
    var tokenAttempts = 10

    enum Outcome: Sendable, Equatable {
        case ready
        case failed(String)
        case gone
        /// This replica is shutting down: the pod is left as it is, for the lease's next holder.
        case interrupted
    }

    func run(deadline: ContinuousClock.Instant) async -> Outcome {
        let started = ContinuousClock.now
        let outcome: Outcome
        do {
            outcome = try await steps(deadline: deadline)
        } catch {
            outcome = Task.isCancelled ? .interrupted : .failed("\(error)")
        }
        switch outcome {
        case .interrupted:
            logger.info("creation interrupted by shutdown; a restart or another replica finishes it", metadata: ["pod": "\(podName)"])
        case .ready:
            metrics.creations(result: "ready").increment()
            metrics.creationDuration.record(ContinuousClock.now - started)
            logger.info("pod ready", metadata: ["pod": "\(podName)"])
        case .failed(let reason):
            metrics.creations(result: "failed").increment()
            logger.warning("pod creation failed; deleting it", metadata: ["pod": "\(podName)", "reason": "\(reason)"])
            try? await cluster.patchMetadata(
                pod: podName, labels: [PodTemplate.Keys.state: PodState.failed.rawValue],
                annotations: ["sciencedata.dk/failure": String(reason.prefix(1000))])
            try? await cluster.deletePod(podName)
        case .gone:
            metrics.creations(result: "deleted").increment()
        }
        return outcome
    }

    private func steps(deadline: ContinuousClock.Instant) async throws -> Outcome {
        guard var pod = try await cluster.pod(podName), !pod.isBeingDeleted else { return .gone }
        if pod.podState == .ready { return .ready }
        let remaining = { max(Duration.zero, deadline - ContinuousClock.now) }

        if let claim = PodTemplate.sciencedataClaim(of: pod.json) {
            // Re-made if it went meanwhile (the user's previous last pod took it along).
            if let user = pod.owner, try await cluster.get(.persistentVolumeClaims, claim) == nil {
                _ = try await storage.ensure(for: user, siloIP: pod.annotations[PodTemplate.Keys.siloIP] ?? "", deadline: deadline)
            }
            do {
                try await cluster.client.waitUntil(.persistentVolumeClaims, namespace: cluster.namespace, name: claim, timeout: remaining()) {
                    $0?["status"]?["phase"]?.stringValue == "Bound"
                }
            } catch let error as KubernetesError where error.reason == "Timeout" {
                return .failed("the user's storage claim \(claim) was not bound in time")
            }
        }
        do {
            let state = try await cluster.client.waitUntil(.pods, namespace: cluster.namespace, name: podName, timeout: remaining()) { pod in
                pod == nil || pod!.isBeingDeleted || pod!.isPodReady
            }
            guard let state, !state.isBeingDeleted else { return .gone }
            pod = state
        } catch let error as KubernetesError where error.reason == "Timeout" {
            return .failed("the pod did not become ready in time")
        }
        try await companions.ensure(for: pod)
        let keys = PodTokens.keys(of: pod)
        var found: [String: String] = [:]
        for attempt in 1...max(1, tokenAttempts) {
            found.merge(await tokens.read(from: pod, keys: keys.filter { found[$0] == nil })) { _, new in new }
            if found.count == keys.count || attempt == tokenAttempts || ContinuousClock.now + tokenRetryInterval > deadline { break }
            try await Sleep.for(tokenRetryInterval)
        }
        if found.count < keys.count {
            logger.notice(
                "some tokens are not there yet; they are looked for again later",
                metadata: ["pod": "\(podName)", "missing": "\(Set(keys).subtracting(found.keys).sorted())"])
        }
        try await tokens.store(found, for: pod)
        try await cluster.patchMetadata(
            pod: podName, labels: [PodTemplate.Keys.state: PodState.ready.rawValue], annotations: [CreationLease.annotation: nil])
        return .ready
    }
}
