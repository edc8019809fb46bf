import Essentials
import Foundation
import Identity

/// The parts of a cluster that are not the API server: a scheduler and kubelet for pods,
/// the deployment and job controllers, and the PV binder. It watches the store through an observer
/// and writes back through the store, so every change is visible to watches.
public actor ClusterSimulator {
    private let store: ObjectStore
    private let runtime: PodRuntime
    private let registry: ResourceRegistry
    private let settings: SimulationSettings
    private var nextPodHost = 2
    private var pending: [String: Task<Void, Never>] = [:]
    /// Deployments being reconciled, and whether another pass was asked for meanwhile.
    private var reconciling: [String: Bool] = [:]
    /// Jobs whose status is being written; true: a pod changed meanwhile (``updateJobSerially``).
    private var updatingJobs: [String: Bool] = [:]

    private let pods: ResourceType
    private let nodes: ResourceType
    private let deployments: ResourceType
    private let jobs: ResourceType
    private let volumes: ResourceType
    private let claims: ResourceType

    public init(store: ObjectStore, runtime: PodRuntime, registry: ResourceRegistry = .standard, settings: SimulationSettings = SimulationSettings())
    {
        self.store = store
        self.runtime = runtime
        self.registry = registry
        self.settings = settings
        func type(_ group: String, _ plural: String) -> ResourceType {
            registry.types.first { $0.group == group && $0.plural == plural }!
        }
        pods = type("", "pods")
        nodes = type("", "nodes")
        deployments = type("apps", "deployments")
        jobs = type("batch", "jobs")
        volumes = type("", "persistentvolumes")
        claims = type("", "persistentvolumeclaims")
    }

    /// Starts reacting to the store's changes. The store keeps the simulator alive from
    /// then on: a cluster's controllers live as long as its API server.
    public func attach() async {
        await store.addObserver { event, type in
            // Reactions write to the store, so they run after the triggering write returns.
            Task { await self.react(to: event, type: type) }
        }
    }

    func react(to event: WatchEvent, type: ResourceType) async {
        switch (type.plural, event.kind) {
        case ("pods", .added): await schedule(event.object)
        case ("pods", .deleted): await podGone(event.object)
        case ("pods", .modified): await podChanged(event.object)
        case ("deployments", .added), ("deployments", .modified):
            if let name = ObjectMeta.name(event.object), let namespace = ObjectMeta.namespace(event.object) {
                await reconcileSerially(namespace: namespace, name: name)
            }
        case ("jobs", .added): await startJob(event.object)
        case ("persistentvolumes", .added): await makeAvailable(event.object)
        case ("persistentvolumeclaims", .added): await bind(claim: event.object)
        default: break
        }
    }

    // MARK: Pods

    private func schedule(_ pod: JSONValue) async {
        guard let name = ObjectMeta.name(pod), let namespace = ObjectMeta.namespace(pod), pod["spec"]?["nodeName"] == nil else { return }
        guard let node = try? await store.list(nodes, namespace: nil).items.first, let nodeName = ObjectMeta.name(node) else { return }
        let hostIP = node["status"]?["addresses"]?.arrayValue?.first { $0["type"] == "InternalIP" }?["address"] ?? "172.18.0.2"
        let podIP = JSONValue.string("\(settings.podNetworkPrefix).\(nextPodHost / 250).\(nextPodHost % 250 + 1)")
        nextPodHost += 1
        let now = ObjectMeta.timestamp(Date())
        guard (try? await store.patch(pods, namespace: namespace, name: name, patch: ["spec": ["nodeName": .string(nodeName)]], kind: .merge)) != nil
        else { return }
        let failure = settings.failure(forImages: Self.images(pod))
        var status: [String: JSONValue] = [
            "phase": "Pending", "hostIP": hostIP, "hostIPs": [["ip": hostIP]], "startTime": now,
            "conditions": [["type": "PodScheduled", "status": "True", "lastTransitionTime": now]],
            "containerStatuses": .array(
                Self.containerStatuses(pod, ready: false, waiting: failure == .imagePullBackOff ? "ImagePullBackOff" : "ContainerCreating")),
        ]
        if failure != .imagePullBackOff {
            status["podIP"] = podIP
            status["podIPs"] = [["ip": podIP]]
        }
        _ = try? await store.patch(pods, namespace: namespace, name: name, patch: ["status": .object(status)], kind: .merge, subresource: "status")
        guard failure != .imagePullBackOff else { return }
        let key = "\(namespace)/\(name)"
        let delay = settings.podStartDelay
        pending[key] = Task {
            try? await Sleep.for(delay)
            guard !Task.isCancelled else { return }
            await self.start(namespace: namespace, name: name, crashing: failure == .crashLoopBackOff)
        }
    }

    private func start(namespace: String, name: String, crashing: Bool) async {
        pending["\(namespace)/\(name)"] = nil
        guard let pod = try? await store.get(pods, namespace: namespace, name: name), pod["metadata"]?["deletionTimestamp"] == nil else { return }
        let now = ObjectMeta.timestamp(Date())
        let ready = JSONValue.string(crashing ? "False" : "True")
        let status: JSONValue = [
            "phase": "Running",
            "conditions": [
                ["type": "PodScheduled", "status": "True", "lastTransitionTime": now],
                ["type": "Initialized", "status": "True", "lastTransitionTime": now],
                ["type": "ContainersReady", "status": ready, "lastTransitionTime": now],
                ["type": "Ready", "status": ready, "lastTransitionTime": now],
            ],
            "containerStatuses": .array(Self.containerStatuses(pod, ready: !crashing, waiting: crashing ? "CrashLoopBackOff" : nil, startedAt: now)),
        ]
        _ = try? await store.patch(pods, namespace: namespace, name: name, patch: ["status": status], kind: .merge, subresource: "status")
        for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
            let line = "kube-sim: started container \(container["name"]?.stringValue ?? "?") (image \(container["image"]?.stringValue ?? "?"))\n"
            await runtime.appendLog(namespace: namespace, name: name, line)
        }
    }

    private func podChanged(_ pod: JSONValue) async {
        if pod["metadata"]?["deletionTimestamp"] != nil, let name = ObjectMeta.name(pod), let namespace = ObjectMeta.namespace(pod) {
            await terminate(
                namespace: namespace, name: name, grace: pod["metadata"]?["deletionGracePeriodSeconds"]?.scalarDescription.flatMap(Int.init) ?? 30)
        }
        await updateOwningDeployment(of: pod)
        await updateOwningJob(of: pod)
    }

    /// The kubelet stops the containers, then removes the pod (grace 0).
    private func terminate(namespace: String, name: String, grace: Int) async {
        let key = "terminate:\(namespace)/\(name)"
        guard pending[key] == nil else { return }
        pending.removeValue(forKey: "\(namespace)/\(name)")?.cancel()
        let delay = min(settings.podTerminationDelay, .seconds(grace))
        pending[key] = Task {
            try? await Sleep.for(delay)
            await self.finishTermination(key: key, namespace: namespace, name: name)
        }
    }

    private func finishTermination(key: String, namespace: String, name: String) async {
        pending[key] = nil
        _ = try? await store.delete(pods, namespace: namespace, name: name, gracePeriodSeconds: 0)
    }

    private func podGone(_ pod: JSONValue) async {
        if let name = ObjectMeta.name(pod), let namespace = ObjectMeta.namespace(pod) {
            pending.removeValue(forKey: "\(namespace)/\(name)")?.cancel()
            await runtime.forget(namespace: namespace, name: name)
        }
        await updateOwningDeployment(of: pod)
        await updateOwningJob(of: pod)
    }

    static func images(_ pod: JSONValue) -> [String] {
        (pod["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["image"]?.stringValue }
    }

    static func containerStatuses(_ pod: JSONValue, ready: Bool, waiting: String?, startedAt: JSONValue? = nil) -> [JSONValue] {
        (pod["spec"]?["containers"]?.arrayValue ?? []).map { container in
            let state: JSONValue = waiting.map { ["waiting": ["reason": .string($0)]] } ?? ["running": ["startedAt": startedAt ?? .null]]
            return [
                "name": container["name"] ?? "", "image": container["image"] ?? "", "imageID": "", "ready": .bool(ready),
                "started": .bool(waiting == nil), "restartCount": .number(waiting == "CrashLoopBackOff" ? 3 : 0), "state": state,
            ]
        }
    }

    // MARK: Deployments (pods owned directly, no ReplicaSet)

    /// One reconcile per deployment at a time; changes during a pass trigger one more pass.
    private func reconcileSerially(namespace: String, name: String) async {
        let key = "\(namespace)/\(name)"
        guard reconciling[key] == nil else {
            reconciling[key] = true
            return
        }
        repeat {
            reconciling[key] = false
            if let deployment = try? await store.get(deployments, namespace: namespace, name: name) {
                await reconcile(deployment: deployment)
            }
        } while reconciling[key] == true
        reconciling[key] = nil
    }

    private func reconcile(deployment: JSONValue) async {
        guard let name = ObjectMeta.name(deployment), let namespace = ObjectMeta.namespace(deployment), let uid = ObjectMeta.uid(deployment),
            deployment["metadata"]?["deletionTimestamp"] == nil
        else { return }
        let desired = Int(deployment["spec"]?["replicas"]?.scalarDescription ?? "1") ?? 1
        let template = deployment["spec"]?["template"] ?? [:]
        let templateHash = String(TokenDigest(String(decoding: template.encoded(), as: UTF8.self)).fingerprint.prefix(10))
        let owned = await ownedPods(namespace: namespace, uid: uid)
        // Recreate strategy: pods from an older template go first.
        for pod in owned where ObjectMeta.labels(pod)["pod-template-hash"] != templateHash {
            if let podName = ObjectMeta.name(pod) { _ = try? await store.delete(pods, namespace: namespace, name: podName) }
        }
        let current = owned.filter { ObjectMeta.labels($0)["pod-template-hash"] == templateHash }
        if current.count < desired {
            for _ in current.count..<desired {
                var labels = template["metadata"]?["labels"]?.objectValue ?? [:]
                labels["pod-template-hash"] = .string(templateHash)
                let pod: JSONValue = [
                    "metadata": [
                        "generateName": .string("\(name)-\(templateHash)-"), "labels": .object(labels),
                        "annotations": template["metadata"]?["annotations"] ?? [:],
                        "ownerReferences": [
                            [
                                "apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name), "uid": .string(uid), "controller": true,
                                "blockOwnerDeletion": true,
                            ]
                        ],
                    ],
                    "spec": template["spec"] ?? [:],
                ]
                _ = try? await store.create(pods, namespace: namespace, object: pod)
            }
        } else if current.count > desired {
            for pod in current.suffix(current.count - desired) {
                if let podName = ObjectMeta.name(pod) { _ = try? await store.delete(pods, namespace: namespace, name: podName) }
            }
        }
        await writeStatus(namespace: namespace, name: name)
    }

    private func ownedPods(namespace: String, uid: String) async -> [JSONValue] {
        ((try? await store.list(pods, namespace: namespace).items) ?? []).filter { ObjectMeta.ownerUIDs($0).contains(uid) }
    }

    private func updateOwningDeployment(of pod: JSONValue) async {
        guard let namespace = ObjectMeta.namespace(pod),
            let owner = pod["metadata"]?["ownerReferences"]?.arrayValue?.first(where: { $0["kind"] == "Deployment" }),
            let name = owner["name"]?.stringValue
        else { return }
        await writeStatus(namespace: namespace, name: name)
    }

    private func writeStatus(namespace: String, name: String) async {
        guard let deployment = try? await store.get(deployments, namespace: namespace, name: name), let uid = ObjectMeta.uid(deployment) else {
            return
        }
        let owned = await ownedPods(namespace: namespace, uid: uid)
        let ready = owned.filter { pod in
            pod["status"]?["conditions"]?.arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } ?? false
        }.count
        let desired = Int(deployment["spec"]?["replicas"]?.scalarDescription ?? "1") ?? 1
        let available = JSONValue.string(ready >= desired ? "True" : "False")
        let status: JSONValue = [
            "observedGeneration": deployment["metadata"]?["generation"] ?? 1, "replicas": .number(Double(owned.count)),
            "updatedReplicas": .number(Double(owned.count)), "readyReplicas": .number(Double(ready)), "availableReplicas": .number(Double(ready)),
            "unavailableReplicas": .number(Double(max(0, desired - ready))),
            "conditions": [
                [
                    "type": "Available", "status": available,
                    "reason": .string(ready >= desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable"),
                ]
            ],
        ]
        guard deployment["status"] != status else { return }
        _ = try? await store.patch(deployments, namespace: namespace, name: name, patch: ["status": status], kind: .merge, subresource: "status")
    }

    // MARK: Jobs (one pod a Job; its phase, which tests drive, becomes the Job's status)

    /// A pod for a new Job, labelled as the job controller labels it (`job-name`,
    /// `batch.kubernetes.io/job-name`, `controller-uid`) and owned by the Job.
    private func startJob(_ job: JSONValue) async {
        guard let name = ObjectMeta.name(job), let namespace = ObjectMeta.namespace(job), let uid = ObjectMeta.uid(job),
            job["metadata"]?["deletionTimestamp"] == nil, job["spec"]?["suspend"] != true
        else { return }
        let template = job["spec"]?["template"] ?? [:]
        var labels = template["metadata"]?["labels"]?.objectValue ?? [:]
        for key in ["job-name", "batch.kubernetes.io/job-name"] { labels[key] = .string(name) }
        for key in ["controller-uid", "batch.kubernetes.io/controller-uid"] { labels[key] = .string(uid) }
        let pod: JSONValue = [
            "metadata": [
                "generateName": .string("\(name)-"), "labels": .object(labels), "annotations": template["metadata"]?["annotations"] ?? [:],
                "ownerReferences": [
                    [
                        "apiVersion": "batch/v1", "kind": "Job", "name": .string(name), "uid": .string(uid), "controller": true,
                        "blockOwnerDeletion": true,
                    ]
                ],
            ],
            "spec": template["spec"] ?? [:],
        ]
        // startTime before the pod exists: the pod's own updates set `active`, and a Job must
        // never be seen active without its start time.
        _ = try? await store.patch(
            jobs, namespace: namespace, name: name, patch: ["status": ["startTime": ObjectMeta.timestamp(Date())]], kind: .merge,
            subresource: "status")
        guard (try? await store.create(pods, namespace: namespace, object: pod)) != nil else { return }
        await updateJobSerially(namespace: namespace, name: name, uid: uid)
    }

    /// The Job's counts and conditions from its pods' phases: `Succeeded` completes it,
    /// `Failed` fails it (no retries: kbatch submits `backoffLimit: 0`).
    private func updateOwningJob(of pod: JSONValue) async {
        guard let namespace = ObjectMeta.namespace(pod),
            let owner = pod["metadata"]?["ownerReferences"]?.arrayValue?.first(where: { $0["kind"] == "Job" }),
            let name = owner["name"]?.stringValue, let uid = owner["uid"]?.stringValue
        else { return }
        await updateJobSerially(namespace: namespace, name: name, uid: uid)
    }

    /// One status write at a time per Job, again if its pods changed meanwhile: reactions run
    /// concurrently (each event its own task, the actor reentrant at every await), and two
    /// read-then-write passes crossing each other lost an update (a Job left `active` after
    /// its pod had succeeded).
    private func updateJobSerially(namespace: String, name: String, uid: String) async {
        let key = "\(namespace)/\(name)"
        guard updatingJobs[key] == nil else {
            updatingJobs[key] = true
            return
        }
        repeat {
            updatingJobs[key] = false
            await writeJobStatus(namespace: namespace, name: name, uid: uid)
        } while updatingJobs[key] == true
        updatingJobs[key] = nil
    }

    private func writeJobStatus(namespace: String, name: String, uid: String) async {
        guard let job = try? await store.get(jobs, namespace: namespace, name: name), ObjectMeta.uid(job) == uid else { return }
        let owned = await ownedPods(namespace: namespace, uid: uid)
        func count(_ phase: String) -> Int { owned.filter { $0["status"]?["phase"]?.stringValue == phase }.count }
        let succeeded = count("Succeeded")
        let failed = count("Failed")
        let active = owned.filter { $0["metadata"]?["deletionTimestamp"] == nil }.count - succeeded - failed
        var status = job["status"]?.objectValue ?? [:]
        // JSONValue takes the nil literal as JSON null: a count of zero is no key at all.
        func number(_ value: Int) -> JSONValue? { value > 0 ? .number(Double(value)) : Optional.none }
        status["active"] = number(active)
        status["succeeded"] = number(succeeded)
        status["failed"] = number(failed)
        if status["conditions"] == nil, succeeded > 0 || failed > 0 {
            let now = ObjectMeta.timestamp(Date())
            let type: JSONValue = succeeded > 0 ? "Complete" : "Failed"
            status["conditions"] = [["type": type, "status": "True", "lastProbeTime": now, "lastTransitionTime": now]]
            if succeeded > 0 { status["completionTime"] = now }
        }
        let current = job["status"]?.objectValue ?? [:]
        guard status != current else { return }
        // A merge patch removes a key only when it says null.
        var patch = status.mapValues { $0 }
        for key in current.keys where status[key] == nil { patch[key] = .null }
        _ = try? await store.patch(jobs, namespace: namespace, name: name, patch: ["status": .object(patch)], kind: .merge, subresource: "status")
    }

    // MARK: Volumes

    private func makeAvailable(_ volume: JSONValue) async {
        guard let name = ObjectMeta.name(volume), volume["spec"]?["claimRef"] == nil else { return }
        _ = try? await store.patch(
            volumes, namespace: nil, name: name, patch: ["status": ["phase": "Available"]], kind: .merge, subresource: "status")
    }

    /// Binds a claim to the volume it names (`spec.volumeName`), or to an Available volume
    /// of the same storage class; otherwise it stays Pending.
    private func bind(claim: JSONValue) async {
        guard let name = ObjectMeta.name(claim), let namespace = ObjectMeta.namespace(claim) else { return }
        let all = (try? await store.list(volumes, namespace: nil).items) ?? []
        let wanted = claim["spec"]?["volumeName"]?.stringValue
        let storageClass = claim["spec"]?["storageClassName"]
        guard
            let volume = all.first(where: { volume in
                if let wanted { return ObjectMeta.name(volume) == wanted }
                return volume["spec"]?["claimRef"] == nil && volume["spec"]?["storageClassName"] == storageClass
            }), let volumeName = ObjectMeta.name(volume)
        else { return }
        let claimRef: JSONValue = [
            "kind": "PersistentVolumeClaim", "namespace": .string(namespace), "name": .string(name), "uid": claim["metadata"]?["uid"] ?? .null,
        ]
        _ = try? await store.patch(volumes, namespace: nil, name: volumeName, patch: ["spec": ["claimRef": claimRef]], kind: .merge)
        _ = try? await store.patch(
            volumes, namespace: nil, name: volumeName, patch: ["status": ["phase": "Bound"]], kind: .merge, subresource: "status")
        _ = try? await store.patch(claims, namespace: namespace, name: name, patch: ["spec": ["volumeName": .string(volumeName)]], kind: .merge)
        let capacity = volume["spec"]?["capacity"] ?? [:]
        _ = try? await store.patch(
            claims, namespace: namespace, name: name,
            patch: ["status": ["phase": "Bound", "capacity": capacity, "accessModes": volume["spec"]?["accessModes"] ?? []]], kind: .merge,
            subresource: "status")
    }
}
