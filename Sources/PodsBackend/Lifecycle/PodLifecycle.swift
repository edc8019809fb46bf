import Essentials
import Foundation
import Kubernetes
import Logging
import ServiceLifecycle

/// Runs the background work of this replica: creation jobs (its own, and ones it adopts
/// after a restart or from a replica that died), deletion follow-ups (legacy companions, the
/// user's storage after their last pod), token refreshes, and a periodic sweep that finds
/// what nobody is finishing. Kubernetes holds all the state; this actor only knows which jobs
/// run here, so the same pod is not worked on twice in one process.
actor PodLifecycle {
    let cluster: PodsCluster
    let storage: UserStorage
    let companions: PodCompanions
    let tokens: PodTokens
    let settings: PodsSettings
    let replicaID: String
    let metrics: PodsMetrics
    let logger: Logger
    private var creations: [String: Task<CreationJob.Outcome, Never>] = [:]
    private var followUps: [String: Task<Bool, Never>] = [:]

    init(
        cluster: PodsCluster, storage: UserStorage, companions: PodCompanions, tokens: PodTokens, settings: PodsSettings,
        replicaID: String, metrics: PodsMetrics, logger: Logger
    ) {
        self.cluster = cluster
        self.storage = storage
        self.companions = companions
        self.tokens = tokens
        self.settings = settings
        self.replicaID = replicaID
        self.metrics = metrics
        self.logger = logger
    }

    /// A job adopted past its deadline still gets this long (a pod that became ready while
    /// nobody watched is finished, not deleted).
    static let minimumJobBudget: Duration = .seconds(10)

    /// The lease a new pod is created with.
    nonisolated func newLease(deadline: Date) -> CreationLease {
        CreationLease(holder: replicaID, expires: deadline.addingTimeInterval(settings.leaseMargin.seconds))
    }

    /// Stops this replica's jobs (shutdown); their leases let a restart, or another replica,
    /// finish them.
    func cancelAll() {
        for task in creations.values { task.cancel() }
        for task in followUps.values { task.cancel() }
        creations = [:]
        followUps = [:]
    }

    // MARK: Creation

    /// Starts (or joins) the creation job of `pod`; its deadline is the pod's annotation.
    /// - Parameter adopted: begun elsewhere (or before a restart): it gets at least
    ///   ``minimumJobBudget`` even past its deadline.
    @discardableResult
    func startCreation(of pod: UnstructuredObject, adopted: Bool = false) -> Task<CreationJob.Outcome, Never>? {
        guard let name = pod.name else { return nil }
        if let running = creations[name] { return running }
        var deadline = Self.deadline(of: pod, fallback: settings.timeoutCreate)
        if adopted { deadline = max(deadline, .now + Self.minimumJobBudget) }
        var job = CreationJob(
            podName: name, cluster: cluster, storage: storage, companions: companions, tokens: tokens, metrics: metrics, logger: logger)
        job.tokenRetryInterval = settings.tokenRetryInterval
        let task = Task {
            let outcome = await job.run(deadline: deadline)
            await self.finished(creation: name, outcome: outcome, owner: pod.owner)
            return outcome
        }
        creations[name] = task
        return task
    }

    private func finished(creation name: String, outcome: CreationJob.Outcome, owner: UserID?) {
        creations[name] = nil
        switch outcome {
        case .ready:
            startTokenRefresh(pod: name)
        case .failed, .gone:
            if let owner { startFollowUp(pod: name, user: owner) }
        case .interrupted:
            break
        }
    }

    /// The creation deadline a pod carries, on our clock.
    static func deadline(of pod: UnstructuredObject, fallback: Duration) -> ContinuousClock.Instant {
        guard let text = pod.annotations[PodTemplate.Keys.createDeadline], let date = KubernetesTime.parse(text) else {
            return .now + fallback
        }
        let remaining = date.timeIntervalSinceNow
        return .now + .milliseconds(Int64(max(0, remaining) * 1000))
    }

    /// How long a pod from a create call reported failed is looked for.
    static let abandonedCreationWindow: Duration = .seconds(300)

    /// After a create call that failed without a clear answer: if the pod turns up (the API
    /// server applied the call late), it is deleted, but only the pod *that call* made (its
    /// creation id), so a retry that took the same name is never touched. Runs in the
    /// background, looking every second for ``abandonedCreationWindow``.
    nonisolated func removeIfCreatedLater(pod name: String, creationID: String) {
        Task {
            let deadline = ContinuousClock.now + Self.abandonedCreationWindow
            while ContinuousClock.now < deadline, !Task.isCancelled {
                if let pod = try? await cluster.pod(name) {
                    guard pod.annotations[PodTemplate.Keys.creationID] == creationID else { return }
                    if (try? await cluster.deletePod(ifUnchanged: pod)) == true {
                        metrics.abandoned.increment()
                        logger.warning(
                            "a pod whose create call had failed turned up later; deleted",
                            metadata: ["pod": "\(name)", "owner": "\(pod.owner?.description ?? "")"])
                        if let owner = pod.owner { await startFollowUp(pod: name, user: owner) }
                        return
                    }
                }
                try? await Sleep.for(.seconds(1))
            }
        }
    }

    // MARK: Deletion

    /// After `pod` has gone: its legacy companions, then the user's storage if it was their
    /// last pod. True when the pod went within timeoutDelete.
    @discardableResult
    func startFollowUp(pod: String, user: UserID) -> Task<Bool, Never> {
        if let running = followUps[pod] { return running }
        let task = Task { () -> Bool in
            let gone = await self.followUp(pod: pod, user: user)
            await self.finished(followUp: pod)
            return gone
        }
        followUps[pod] = task
        return task
    }

    private func finished(followUp pod: String) {
        followUps[pod] = nil
    }

    private nonisolated func followUp(pod: String, user: UserID) async -> Bool {
        guard await cluster.waitGone(.pods, pod, timeout: settings.timeoutDelete) else {
            logger.warning("pod still there after timeoutDelete", metadata: ["pod": "\(pod)"])
            return false
        }
        do {
            try await companions.deleteLegacy(forPod: pod)
            try await deleteStorageIfUnused(user)
        } catch {
            logger.warning("cleaning up after a deleted pod failed; the sweep will retry", metadata: ["pod": "\(pod)", "error": "\(error)"])
        }
        return true
    }

    /// Storage goes with the user's last pod (upstream's rule), but never while a pod of
    /// theirs exists, including one being created.
    nonisolated func deleteStorageIfUnused(_ user: UserID) async throws {
        guard try await cluster.pods(of: user).isEmpty else { return }
        if try await storage.delete(for: user) > 0 {
            metrics.storageDeleted.increment()
            logger.info("user storage removed after the last pod", metadata: ["user": "\(user)"])
        }
    }

    // MARK: Tokens

    /// Tokens the image writes late (a slow jupyter start) are looked for again for a while
    /// (upstream read them once, docs/specs/pods-backend.md W15).
    private func startTokenRefresh(pod name: String) {
        let window = settings.tokenRefreshWindow
        guard window > .zero else { return }
        Task {
            let until = ContinuousClock.now + window
            while ContinuousClock.now < until {
                guard let pod = try? await cluster.pod(name), !pod.isBeingDeleted, pod.podState == .ready else { return }
                guard (try? await refreshTokens(of: pod, onlyMissing: true)) == false else { return }
                try? await Sleep.for(.seconds(5))
            }
        }
    }

    /// Reads the pod's tokens again and stores them. With `onlyMissing`, keys already stored
    /// are kept. Returns true when every declared key has a value.
    @discardableResult
    nonisolated func refreshTokens(of pod: UnstructuredObject, onlyMissing: Bool) async throws -> Bool {
        guard let name = pod.name, let owner = pod.owner else { return true }
        let keys = PodTokens.keys(of: pod)
        let stored = onlyMissing ? (try await tokens.stored(for: owner)[name] ?? [:]) : [:]
        let missing = keys.filter { stored[$0] == nil }
        guard !missing.isEmpty else { return true }
        let found = await tokens.read(from: pod, keys: missing)
        if !found.isEmpty { try await tokens.store(stored.merging(found) { _, new in new }, for: pod) }
        return found.count == missing.count
    }

    // MARK: Sweep

    /// One pass over the namespace: creations to adopt, failed pods to remove, storage whose
    /// user has no pods left. Returns what it did, for tests and logs.
    struct SweepReport: Sendable, Equatable {
        var adopted: [String] = []
        var failedRemoved: [String] = []
        var storageRemoved: [String] = []
        var reaped: [String] = []
        /// Pods found without an expiry (upstream's, or older than expiries) that got one.
        var expiriesSet: [String] = []
    }

    func sweep() async -> SweepReport {
        var report = SweepReport()
        let now = Date()
        // One list serves both passes: pods the backend manages (state label) and, for the
        // storage pass, every pod's owner.
        let pods: [UnstructuredObject]
        do {
            pods = try await cluster.pods()
        } catch {
            logger.warning("sweep could not list pods", metadata: ["error": "\(error)"])
            return report
        }
        for pod in pods where !pod.isBeingDeleted && pod.owner != nil {
            await reapIfExpired(pod, now: now, report: &report)
        }
        for pod in pods where !pod.isBeingDeleted && pod.podState != nil && !report.reaped.contains(pod.name ?? "") {
            guard let name = pod.name else { continue }
            switch pod.podState {
            case .creating where creations[name] == nil:
                if await adopt(pod, now: now) { report.adopted.append(name) }
            case .failed:
                try? await cluster.deletePod(name)
                if let owner = pod.owner { startFollowUp(pod: name, user: owner) }
                report.failedRemoved.append(name)
            default:
                break
            }
        }
        report.storageRemoved = await sweepStorage(owners: Set(pods.compactMap(\.owner)))
        return report
    }

    /// A user's pod past its expiry is deleted as `delete_pod` deletes it (its companions go
    /// with it; the user's storage after their last pod). The delete names the pod's uid and
    /// resourceVersion, so when several replicas sweep at once exactly one deletes it, and an
    /// extension that landed meanwhile saves it. A pod without an expiry gets the default
    /// lifetime from now: nothing is reaped without that much notice.
    private func reapIfExpired(_ pod: UnstructuredObject, now: Date, report: inout SweepReport) async {
        guard let name = pod.name, let owner = pod.owner else { return }
        guard let expiry = PodLifetime.expiresAt(pod) else {
            let expiry = now.addingTimeInterval(settings.lifetime.defaultLifetime.seconds)
            do {
                try await cluster.patchMetadata(
                    pod: name, annotations: [PodLifetime.Keys.expiresAt: KubernetesTime.format(expiry)], resourceVersion: pod.resourceVersion)
                report.expiriesSet.append(name)
            } catch {
                logger.debug("could not set an expiry, the next sweep tries again", metadata: ["pod": "\(name)", "error": "\(error)"])
            }
            return
        }
        guard expiry <= now else { return }
        do {
            guard try await cluster.deletePod(ifUnchanged: pod) else { return }
        } catch {
            logger.warning("could not delete an expired pod, the next sweep tries again", metadata: ["pod": "\(name)", "error": "\(error)"])
            return
        }
        metrics.reaped.increment()
        logger.notice(
            "expired pod deleted", metadata: ["pod": "\(name)", "user": "\(owner)", "expired_at": "\(KubernetesTime.format(expiry))"])
        startFollowUp(pod: name, user: owner)
        report.reaped.append(name)
    }

    private func adopt(_ pod: UnstructuredObject, now: Date) async -> Bool {
        guard let name = pod.name, CreationLease(pod.annotations[CreationLease.annotation])?.canBeTaken(by: replicaID, at: now) ?? true else {
            return false
        }
        let deadline = PodLifecycle.deadline(of: pod, fallback: settings.timeoutCreate)
        let budget = max(deadline - .now, Self.minimumJobBudget)
        let lease = CreationLease(holder: replicaID, expires: now.addingTimeInterval(budget.seconds + settings.leaseMargin.seconds))
        let replica = replicaID
        do {
            // Conditional on the resourceVersion just read: of two replicas, one wins.
            let claimed = try await cluster.client.update(.pods, namespace: cluster.namespace, name: name, attempts: 1) { object in
                guard CreationLease(object.annotations[CreationLease.annotation])?.canBeTaken(by: replica, at: now) ?? true else {
                    throw CancellationError()
                }
                var annotations = object.metadata["annotations"]?.objectValue ?? [:]
                annotations[CreationLease.annotation] = .string(lease.text)
                object.metadata["annotations"] = .object(annotations)
            }
            metrics.adopted.increment()
            logger.notice("finishing a creation another replica (or an earlier run) began", metadata: ["pod": "\(name)"])
            startCreation(of: claimed, adopted: true)
            return true
        } catch {
            return false
        }
    }

    /// Claims `user-storage-*` of users with no pod at all, older than timeoutCreate (a
    /// younger one may belong to a creation in progress: upstream's clean_all_unused could
    /// delete it, docs/specs/pods-backend.md W7).
    private func sweepStorage(owners: Set<UserID>) async -> [String] {
        var removed: [String] = []
        guard let claims = try? await cluster.client.listAll(.persistentVolumeClaims, namespace: cluster.namespace).items else { return removed }
        let cutoff = Date().addingTimeInterval(-settings.timeoutCreate.seconds)
        for claim in claims where (claim.name ?? "").hasPrefix(ResourceNames.storagePrefix) && !claim.isBeingDeleted {
            guard let user = claim.owner, !owners.contains(user),
                let created = claim.metadata["creationTimestamp"]?.stringValue.flatMap(KubernetesTime.parse), created < cutoff
            else { continue }
            if (try? await deleteStorageIfUnused(user)) != nil, let name = claim.name { removed.append(name) }
        }
        return removed
    }
}

/// Sweeps at start-up (a restart resumes its creations at once) and every sweepInterval.
struct PodSweeper: Service {
    let lifecycle: PodLifecycle
    let interval: Duration

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    _ = await lifecycle.sweep()
                    try await Sleep.for(interval)
                }
            }
        } catch is CancellationError {}
        await lifecycle.cancelAll()
    }
}
