import Essentials
import Foundation
import Kubernetes
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// What `get_pods`, ownership checks and `get_podip_owner` read, kept current by watches
/// (``Informer``): the namespace's pods reduced to the fields podInfo and the routes use,
/// indexed by owner and by IP; the token Secrets by owner; the ssh Services by pod. A read is
/// a dictionary lookup instead of three API calls.
///
/// Read-your-writes: every pod write this process makes goes through ``PodsCluster``, which
/// records its resourceVersion in the ``WriteFence``; a read first waits (up to
/// `catchUpTimeout`) until the pod watch has passed it, and reads live when it cannot.
final class PodsCache: Sendable {
    let pods: Informer<CachedPod>
    let tokenSecrets: Informer<TokenSecret>
    let sshServices: Informer<SSHService>
    let fence: WriteFence
    static let catchUpTimeout: Duration = .seconds(2)

    struct TokenSecret: Sendable {
        let pod: String
        let owner: UserID?
        let tokens: [String: String]
    }

    struct SSHService: Sendable {
        let pod: String
        let nodePort: String
    }

    init(cluster: PodsCluster) {
        let client = cluster.client
        let namespace = cluster.namespace
        fence = cluster.fence
        pods = Informer(
            client: client, resource: .pods, namespace: namespace, project: CachedPod.init,
            index: { pod in
                var keys: [String] = []
                if let owner = UserID(labels: pod.labels) { keys.append(Self.ownerKey(owner)) }
                if !pod.podIP.isEmpty { keys.append("ip:\(pod.podIP)") }
                return keys
            })
        tokenSecrets = Informer(
            client: client, resource: .secrets, namespace: namespace, labelSelector: "\(PodTokens.kindLabel)=tokens",
            project: { secret in
                secret.labels[PodTemplate.Keys.createdForPod].map { TokenSecret(pod: $0, owner: secret.owner, tokens: PodTokens.decode(secret)) }
            },
            index: { secret in secret.owner.map { [Self.ownerKey($0)] } ?? [] })
        sshServices = Informer(
            client: client, resource: .services, namespace: namespace, labelSelector: PodTemplate.Keys.createdForPod,
            project: { service in
                guard let pod = service.labels[PodTemplate.Keys.createdForPod], service.name == ResourceNames.sshService(pod: pod),
                    let port = PodCompanions.sshNodePort(service)
                else { return nil }
                return SSHService(pod: pod, nodePort: port)
            },
            index: { ["pod:\($0.pod)"] })
    }

    static func ownerKey(_ user: UserID) -> String { "owner:\(user.labelSelector)" }

    var hasSynced: Bool { pods.hasSynced && tokenSecrets.hasSynced && sshServices.hasSynced }

    /// Waits until all three have listed once; false at the deadline.
    func waitUntilSynced(timeout: Duration) async -> Bool {
        let results = [
            await pods.waitUntilSynced(timeout: timeout), await tokenSecrets.waitUntilSynced(timeout: timeout),
            await sshServices.waitUntilSynced(timeout: timeout),
        ]
        return !results.contains(false)
    }

    /// Synced, and past every pod write this process made; false: read live.
    func isCurrent() async -> Bool {
        guard hasSynced else { return false }
        let written = fence.latest
        guard written > 0 else { return true }
        return await pods.waitUntilSeen(resourceVersion: String(written), timeout: Self.catchUpTimeout)
    }

    func pods(of user: UserID) -> [UnstructuredObject] {
        pods.items(indexedBy: Self.ownerKey(user)).sorted { $0.name < $1.name }.map(\.object)
    }

    func pod(_ name: String) -> UnstructuredObject? {
        pods.item(name: name)?.object
    }

    func tokens(of user: UserID) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for secret in tokenSecrets.items(indexedBy: Self.ownerKey(user)) { result[secret.pod] = secret.tokens }
        return result
    }

    func sshPorts(pods names: [String]) -> [String: String] {
        var ports: [String: String] = [:]
        for name in names { if let service = sshServices.items(indexedBy: "pod:\(name)").first { ports[name] = service.nodePort } }
        return ports
    }

    func pods(withIP ip: String) -> [UnstructuredObject] {
        pods.items(indexedBy: "ip:\(ip)").map(\.object)
    }

    /// Runs the three informers for the service's life.
    struct Runner: Service {
        let cache: PodsCache

        func run() async throws {
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await cache.pods.run() }
                    group.addTask { await cache.tokenSecrets.run() }
                    group.addTask { await cache.sshServices.run() }
                }
            }
        }
    }
}

/// A pod as the routes read it, in plain fields (a tenth of the memory of the pod's JSON):
/// metadata (labels and annotations whole: the state, the owner, the deadlines, the expiry),
/// each container's name and image, and the status fields podInfo shows. ``object`` gives it
/// back in the pod's own shape for the code that reads pods.
struct CachedPod: Sendable {
    let name: String
    let namespace: String
    let uid: String
    let resourceVersion: String
    let labels: [String: String]
    let annotations: [String: String]
    let deletionTimestamp: String?
    let creationTimestamp: String?
    let containers: [(name: String, image: String)]
    let phase: String
    let podIP: String
    let hostIP: String
    let startTime: String?
    /// The Ready condition's status, when there is one.
    let ready: String?

    init?(_ pod: UnstructuredObject) {
        guard let name = pod.name else { return nil }
        self.name = name
        namespace = pod.namespace ?? ""
        uid = pod.uid ?? ""
        resourceVersion = pod.resourceVersion ?? ""
        labels = pod.labels
        annotations = pod.annotations
        deletionTimestamp = pod.metadata["deletionTimestamp"]?.stringValue
        creationTimestamp = pod.metadata["creationTimestamp"]?.stringValue
        containers = pod.containers.map { ($0["name"]?.stringValue ?? "", $0["image"]?.stringValue ?? "") }
        let status = pod["status"]
        phase = status?["phase"]?.stringValue ?? ""
        podIP = status?["podIP"]?.stringValue ?? ""
        hostIP = status?["hostIP"]?.stringValue ?? ""
        startTime = status?["startTime"]?.stringValue
        ready = (status?["conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }?["status"]?.stringValue
    }

    var object: UnstructuredObject {
        var metadata: [String: JSONValue] = [
            "name": .string(name), "namespace": .string(namespace), "uid": .string(uid), "resourceVersion": .string(resourceVersion),
            "labels": .object(labels.mapValues(JSONValue.string)), "annotations": .object(annotations.mapValues(JSONValue.string)),
        ]
        metadata["deletionTimestamp"] = deletionTimestamp.map(JSONValue.string)
        metadata["creationTimestamp"] = creationTimestamp.map(JSONValue.string)
        var status: [String: JSONValue] = ["phase": .string(phase)]
        if !podIP.isEmpty { status["podIP"] = .string(podIP) }
        if !hostIP.isEmpty { status["hostIP"] = .string(hostIP) }
        status["startTime"] = startTime.map(JSONValue.string)
        if let ready { status["conditions"] = [["type": "Ready", "status": .string(ready)]] }
        return UnstructuredObject([
            "metadata": .object(metadata),
            "spec": ["containers": .array(containers.map { ["name": .string($0.name), "image": .string($0.image)] })],
            "status": .object(status),
        ])
    }
}

/// The highest resourceVersion of the pod writes this process made: what a read waits for.
final class WriteFence: Sendable {
    private let value = NIOLockedValueBox<UInt64>(0)

    var latest: UInt64 { value.withLockedValue { $0 } }

    func record(_ object: UnstructuredObject?) {
        guard let object, let version = object.resourceVersion.flatMap(UInt64.init) else { return }
        value.withLockedValue { $0 = max($0, version) }
    }

    /// A delete's answer: an object marked for deletion carries the write's version; one
    /// removed at once carries its last version, and its removal is a later revision.
    func recordDeletion(_ answer: UnstructuredObject?) {
        guard let answer, answer["kind"]?.stringValue == "Pod", let version = answer.resourceVersion.flatMap(UInt64.init) else { return }
        value.withLockedValue { $0 = max($0, answer.isBeingDeleted ? version : version + 1) }
    }
}
