import Essentials
import Foundation
import Kubernetes

/// A user's NFS home as a PersistentVolume and a pre-bound claim (docs/specs/pods-backend.md
/// §3.3): created with the user's first pod that mounts `sciencedata`, removed after their
/// last pod. Storage upstream made (`user-storage-<legacy user string>`) is found by its
/// labels and reused.
struct UserStorage: Sendable {
    static let namespaceLabel = "sciencedata.dk/namespace"

    let cluster: PodsCluster
    let settings: PodsSettings.StorageSettings
    let nfsStorageRoot: String

    /// The user's claims, oldest first (normally one).
    func claims(of user: UserID) async throws -> [UnstructuredObject] {
        try await cluster.list(.persistentVolumeClaims, labelSelector: user.labelSelector)
            .filter { ($0.name ?? "").hasPrefix(ResourceNames.storagePrefix) }
            .sorted { ($0.metadata["creationTimestamp"]?.stringValue ?? "") < ($1.metadata["creationTimestamp"]?.stringValue ?? "") }
    }

    /// The claim name to mount, creating the volume and claim when the user has none. A claim
    /// still being deleted (the user's last pod went a moment ago) is waited out first.
    func ensure(for user: UserID, siloIP: String, deadline: ContinuousClock.Instant) async throws -> String {
        var existing = try await claims(of: user)
        if let terminating = existing.first(where: \.isBeingDeleted), let name = terminating.name {
            try await cluster.client.waitUntil(
                .persistentVolumeClaims, namespace: cluster.namespace, name: name, timeout: max(.zero, deadline - ContinuousClock.now)
            ) { $0 == nil }
            existing = try await claims(of: user)
        }
        if let claim = existing.first(where: { !$0.isBeingDeleted }), let name = claim.name { return name }
        let claimName = ResourceNames.storageClaim(user: user)
        let volumeName = ResourceNames.storageVolume(user: user, namespace: cluster.namespace)
        try await ensureVolume(volumeName, claim: claimName, user: user, siloIP: siloIP)
        try await cluster.createIfAbsent(.persistentVolumeClaims, claim(claimName, volume: volumeName, user: user, siloIP: siloIP))
        return claimName
    }

    /// A volume left Released by an earlier claim cannot bind again: it is replaced (the data
    /// stays on the NFS server: the reclaim policy is Retain).
    private func ensureVolume(_ name: String, claim: String, user: UserID, siloIP: String) async throws {
        if let volume = try await cluster.get(.persistentVolumes, name) {
            let boundElsewhere = volume["spec"]?["claimRef"]?["name"]?.stringValue.map { $0 != claim } ?? false
            guard volume.phase == "Released" || volume.isBeingDeleted || boundElsewhere else { return }
            try await cluster.delete(.persistentVolumes, name)
            try await cluster.client.waitUntil(.persistentVolumes, name: name, timeout: .seconds(30)) { $0 == nil }
        }
        try await cluster.createIfAbsent(.persistentVolumes, volume(name, claim: claim, user: user, siloIP: siloIP))
    }

    private func labels(claim: String, user: UserID, siloIP: String) -> JSONValue {
        var labels = user.labels
        labels["name"] = claim
        labels[Self.namespaceLabel] = cluster.namespace
        if UserID.isLabelValue(siloIP) { labels["server"] = siloIP }
        return .object(labels.mapValues(JSONValue.string))
    }

    func volume(_ name: String, claim: String, user: UserID, siloIP: String) -> JSONValue {
        [
            "metadata": ["name": .string(name), "labels": labels(claim: claim, user: user, siloIP: siloIP)],
            "spec": [
                "capacity": ["storage": .string(settings.size)],
                "accessModes": ["ReadWriteMany"],
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": .string(settings.storageClassName),
                "mountOptions": ["hard", "nfsvers=4.1"],
                "nfs": ["server": .string(siloIP), "path": .string("\(nfsStorageRoot)/\(user)")],
                "claimRef": ["kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": .string(cluster.namespace), "name": .string(claim)],
            ],
        ]
    }

    func claim(_ name: String, volume: String, user: UserID, siloIP: String) -> JSONValue {
        [
            "metadata": ["name": .string(name), "namespace": .string(cluster.namespace), "labels": labels(claim: name, user: user, siloIP: siloIP)],
            "spec": [
                "accessModes": ["ReadWriteMany"],
                // Upstream left this out (docs/specs/pods-backend.md W26): a default StorageClass would then stop the
                // claim from binding to the volume made for it.
                "storageClassName": .string(settings.storageClassName),
                "resources": ["requests": ["storage": .string(settings.size)]],
                "volumeName": .string(volume),
            ],
        ]
    }

    /// Deletes the user's claims and their volumes (not waiting: the claim goes once no pod
    /// uses it). Returns how many claims there were.
    @discardableResult
    func delete(for user: UserID) async throws -> Int {
        let claims = try await claims(of: user)
        var volumes = Set(claims.compactMap { $0["spec"]?["volumeName"]?.stringValue })
        // Volumes whose claim is already gone, labelled for this user in this namespace.
        for volume in try await cluster.list(.persistentVolumes, labelSelector: user.labelSelector) {
            let namespace = volume.labels[Self.namespaceLabel] ?? volume["spec"]?["claimRef"]?["namespace"]?.stringValue
            if namespace == cluster.namespace, let name = volume.name, name.hasPrefix(ResourceNames.storagePrefix) { volumes.insert(name) }
        }
        for claim in claims { if let name = claim.name { try await cluster.delete(.persistentVolumeClaims, name) } }
        for volume in volumes { try await cluster.delete(.persistentVolumes, volume) }
        return claims.count
    }
}
