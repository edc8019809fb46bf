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
    let pods: Informer<UnstructuredObject>
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
            client: client, resource: .pods, namespace: namespace, project: Self.trim,
            index: { pod in
                var keys: [String] = []
                if let owner = pod.owner { keys.append(Self.ownerKey(owner)) }
                if let ip = pod["status"]?["podIP"]?.stringValue, !ip.isEmpty { keys.append("ip:\(ip)") }
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
        pods.items(indexedBy: Self.ownerKey(user)).sorted { ($0.name ?? "") < ($1.name ?? "") }
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
        pods.items(indexedBy: "ip:\(ip)")
    }

    /// A pod as the routes read it: metadata (labels and annotations whole: the state, the
    /// owner, the deadlines, the expiry), each container's name and image, and the status
    /// fields podInfo shows. About a tenth of a full pod.
    static func trim(_ pod: UnstructuredObject) -> UnstructuredObject? {
        var metadata: [String: JSONValue] = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "labels", "annotations", "deletionTimestamp", "creationTimestamp"] {
            metadata[key] = pod.metadata[key]
        }
        let containers = pod.containers.map { container -> JSONValue in
            var kept: [String: JSONValue] = [:]
            kept["name"] = container["name"]
            kept["image"] = container["image"]
            return .object(kept)
        }
        var status: [String: JSONValue] = [:]
        for key in ["phase", "podIP", "hostIP", "startTime"] { status[key] = pod["status"]?[key] }
        status["conditions"] = .array((pod["status"]?["conditions"]?.arrayValue ?? []).filter { $0["type"]?.stringValue == "Ready" })
        return UnstructuredObject(["metadata": .object(metadata), "spec": ["containers": .array(containers)], "status": .object(status)])
    }

    /// Runs the three informers for the service's life.
    struct Runner: Service {
        let cache: PodsCache

        func run() async throws {
            try? await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await cache.pods.run() }
                    group.addTask { await cache.tokenSecrets.run() }
                    group.addTask { await cache.sshServices.run() }
                }
            }
        }
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
