import Essentials
import Foundation
import Kubernetes

/// The tokens a pod's image writes to `/tmp/<key>` for each key of its
/// `sciencedata.dk/copy-token` annotation (e.g. jupyter's `appendURL`), read through exec in
/// the first container and kept in a Secret the pod owns, `<pod>-tokens` (upstream kept them
/// in a file under /tmp of the backend's own pod, lost on every restart: docs/specs/pods-backend.md W14).
struct PodTokens: Sendable {
    static let kindLabel = "sciencedata.dk/kind"

    let cluster: PodsCluster
    /// Upstream's tokenByteLimit: longer output is cut to exactly this many bytes.
    let byteLimit: Int

    /// The keys the pod declares. Keys that could leave /tmp or name no Secret key are
    /// skipped (upstream passed them to `cat` unchecked).
    static func keys(of pod: UnstructuredObject) -> [String] {
        (pod.annotations[PodTemplate.Keys.copyToken] ?? "").split(separator: ",").map(String.init).filter(isSafeKey)
    }

    static func isSafeKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 253 && key != "." && key != ".."
            && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
    }

    /// One attempt per key; keys whose file is missing or empty are left out.
    func read(from pod: UnstructuredObject, keys: [String]) async -> [String: String] {
        guard let name = pod.name, let container = pod.containers.first?["name"]?.stringValue else { return [:] }
        var tokens: [String: String] = [:]
        for key in keys {
            guard
                let result = try? await cluster.client.exec(
                    namespace: cluster.namespace, pod: name, container: container, command: ["cat", "/tmp/\(key)"],
                    maxOutputBytes: byteLimit, timeout: .seconds(10)
                ), result.exitCode == 0, !result.stdout.isEmpty
            else { continue }
            tokens[key] = String(decoding: result.stdout.prefix(byteLimit), as: UTF8.self)
        }
        return tokens
    }

    /// Writes (or updates) the pod's token Secret.
    func store(_ tokens: [String: String], for pod: UnstructuredObject) async throws {
        guard let name = pod.name else { return }
        let secretName = ResourceNames.tokenSecret(pod: name)
        var labels = pod.owner?.labels ?? [:]
        labels[PodTemplate.Keys.createdForPod] = name
        labels[Self.kindLabel] = "tokens"
        let secret: JSONValue = [
            "metadata": [
                "name": .string(secretName), "namespace": .string(cluster.namespace),
                "labels": .object(labels.mapValues(JSONValue.string)),
                "ownerReferences": [PodsCluster.ownerReference(to: pod)],
            ],
            "type": "Opaque",
            "data": .object(tokens.mapValues { .string(Data($0.utf8).base64EncodedString()) }),
        ]
        let created = try await cluster.createIfAbsent(.secrets, secret)
        let stored = Self.decode(created)
        guard stored != tokens else { return }
        try await cluster.client.update(.secrets, namespace: cluster.namespace, name: secretName) { object in
            object["data"] = .object(tokens.mapValues { .string(Data($0.utf8).base64EncodedString()) })
        }
    }

    /// Tokens per pod name, for every pod of `user` that has any.
    func stored(for user: UserID) async throws -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for secret in try await cluster.list(.secrets, labelSelector: "\(user.labelSelector),\(Self.kindLabel)=tokens") {
            if let pod = secret.labels[PodTemplate.Keys.createdForPod] { result[pod] = Self.decode(secret) }
        }
        return result
    }

    static func decode(_ secret: UnstructuredObject) -> [String: String] {
        (secret["data"]?.objectValue ?? [:]).compactMapValues { value in
            value.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
