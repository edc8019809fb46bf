import Essentials
import Foundation
import Kubernetes

/// The Kubernetes calls the backend makes, in its one namespace (PersistentVolumes aside):
/// a small vocabulary over ``KubernetesClient`` so the lifecycle code reads as what it does.
struct PodsCluster: Sendable {
    let client: KubernetesClient
    let namespace: String
    /// Every pod write's resourceVersion, for the cache's read-your-writes.
    let fence = WriteFence()

    init(client: KubernetesClient, namespace: String) {
        var configuration = client.configuration
        configuration.namespace = namespace
        self.client = KubernetesClient(configuration: configuration, timeout: client.timeout)
        self.namespace = namespace
    }

    // MARK: Pods

    func pods(of user: UserID) async throws -> [UnstructuredObject] {
        try await client.listAll(.pods, namespace: namespace, labelSelector: user.labelSelector).items
    }

    func pod(_ name: String) async throws -> UnstructuredObject? {
        do {
            return try await client.get(.pods, namespace: namespace, name: name)
        } catch let error as KubernetesError where error.isNotFound {
            return nil
        }
    }

    func pods(labelSelector: String? = nil, fieldSelector: String? = nil) async throws -> [UnstructuredObject] {
        try await client.listAll(.pods, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector).items
    }

    func createPod(_ pod: JSONValue) async throws -> UnstructuredObject {
        let created = try await client.create(.pods, namespace: namespace, UnstructuredObject(pod)!)
        fence.record(created)
        return created
    }

    /// Merge-patches labels and annotations (nil removes a key). With `resourceVersion`, the
    /// API server refuses (409) unless the pod is still that version.
    @discardableResult
    func patchMetadata(
        pod name: String, labels: [String: String?] = [:], annotations: [String: String?] = [:], resourceVersion: String? = nil
    ) async throws -> UnstructuredObject {
        var metadata: [String: JSONValue] = [:]
        if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { $0.map(JSONValue.string) ?? .null }) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues { $0.map(JSONValue.string) ?? .null }) }
        let patched = try await client.patch(.pods, namespace: namespace, name: name, ["metadata": .object(metadata)])
        fence.record(patched)
        return patched
    }

    func deletePod(_ name: String) async throws {
        fence.recordDeletion(try await client.delete(.pods, namespace: namespace, name: name, ignoreNotFound: true))
    }

    /// Deletes `pod` only if it is still exactly as seen (uid and resourceVersion): false when
    /// it changed or is gone, so of several replicas deleting it, one does.
    func deletePod(ifUnchanged pod: UnstructuredObject) async throws -> Bool {
        do {
            fence.recordDeletion(
                try await client.delete(.pods, namespace: namespace, name: pod.name ?? "", preconditions: DeletePreconditions(pod)))
            return true
        } catch let error as KubernetesError where error.isNotFound || error.code == 409 {
            return false
        }
    }

    // MARK: Other namespaced objects

    func list(_ resource: ResourceDescriptor, labelSelector: String) async throws -> [UnstructuredObject] {
        try await client.listAll(resource, namespace: resource.namespaced ? namespace : nil, labelSelector: labelSelector).items
    }

    func get(_ resource: ResourceDescriptor, _ name: String) async throws -> UnstructuredObject? {
        do {
            return try await client.get(resource, namespace: resource.namespaced ? namespace : nil, name: name)
        } catch let error as KubernetesError where error.isNotFound {
            return nil
        }
    }

    /// Creates; an existing object of that name is returned instead (idempotent start jobs).
    @discardableResult
    func createIfAbsent(_ resource: ResourceDescriptor, _ object: JSONValue) async throws -> UnstructuredObject {
        let object = UnstructuredObject(object)!
        do {
            return try await client.create(resource, namespace: resource.namespaced ? namespace : nil, object)
        } catch let error as KubernetesError where error.isAlreadyExists {
            guard let name = object.name, let existing = try await get(resource, name) else { throw error }
            return existing
        }
    }

    func delete(_ resource: ResourceDescriptor, _ name: String) async throws {
        try await client.delete(resource, namespace: resource.namespaced ? namespace : nil, name: name, ignoreNotFound: true)
    }

    /// Waits (watching) until the object is gone; false when it is still there at the end.
    func waitGone(_ resource: ResourceDescriptor, _ name: String, timeout: Duration) async -> Bool {
        do {
            try await client.waitUntil(resource, namespace: resource.namespaced ? namespace : nil, name: name, timeout: timeout) { $0 == nil }
            return true
        } catch {
            return false
        }
    }

    /// An ownerReference to `pod`, so the garbage collector removes what was made for it
    /// when the pod goes (upstream's delete jobs, which a restart could interrupt).
    static func ownerReference(to pod: UnstructuredObject) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Pod", "name": .string(pod.name ?? ""), "uid": .string(pod.uid ?? ""),
            "blockOwnerDeletion": false,
        ]
    }
}

extension UnstructuredObject {
    var podState: PodState? { labels[PodTemplate.Keys.state].flatMap(PodState.init(rawValue:)) }

    var isPodReady: Bool {
        (self["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
    }

    var phase: String { self["status"]?["phase"]?.stringValue ?? "" }

    /// The owner by labels (legacy objects included).
    var owner: UserID? { UserID(labels: labels) }

    var containers: [JSONValue] { self["spec"]?["containers"]?.arrayValue ?? [] }
}
