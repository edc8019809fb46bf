import Essentials
import Foundation
import Kubernetes

/// One element of `get_pods` (docs/specs/pods-backend.md §4), with upstream's keys and formats.
struct PodInfo {
    let pod: UnstructuredObject
    let tokens: [String: String]?
    let sshPort: String?
    let ingressDomain: String
    let lifetime: PodLifetime
    let now: Date

    var json: JSONValue {
        let name = pod.name ?? ""
        let first = pod.containers.first
        var info: [String: JSONValue] = [
            "pod_name": .string(name),
            "container_name": .string(first?["name"]?.stringValue ?? ""),
            "image_name": .string(first?["image"]?.stringValue ?? ""),
            "pod_ip": .string(pod["status"]?["podIP"]?.stringValue ?? ""),
            "node_ip": .string(pod["status"]?["hostIP"]?.stringValue ?? ""),
            "owner": .string(pod.owner?.description ?? ""),
            "age": .string(age),
            "status": .string(status),
            "url": .string(PodCompanions.ingressPort(pod) != nil ? "https://\(name).\(ingressDomain)" : ""),
            "ssh_url": .string(sshPort.map { "ssh://root@\(ingressDomain):\($0)" } ?? ""),
            // Upstream answered null until its cache file existed, which the frontend then
            // dereferenced (`tokens.appendURL`); an empty object is safe (docs/specs/pods-backend.md §11.1).
            "tokens": .object((tokens ?? [:]).mapValues(JSONValue.string)),
            "k8s_pod_info": .object(sshPort.map { ["sshPort": .string($0)] } ?? [:]),
        ]
        // Ours, beside upstream's unchanged keys: the expiry, and a warning the day before.
        let expiry = PodLifetime.expiresAt(pod)
        info["expires_at"] = expiry.map { .string(KubernetesTime.format($0)) } ?? .null
        info["expiring_soon"] = .bool(expiry.map { lifetime.isExpiringSoon($0, now: now) } ?? false)
        return .object(info)
    }

    private var startTime: Date? {
        pod["status"]?["startTime"]?.stringValue.flatMap(KubernetesTime.parse)
    }

    /// `<Phase>:<start, UTC, YYYY-MM-DDTHH:MM:SSZ>`, or `Deleting` / `Creating` while the
    /// backend is removing or still setting up the pod.
    var status: String {
        if pod.isBeingDeleted { return "Deleting" }
        if pod.podState == .creating { return "Creating" }
        return "\(pod.phase):" + (startTime.map(KubernetesTime.format) ?? "")
    }

    /// Hours, minutes and seconds since the start, unpadded (`26:3:7`).
    var age: String {
        guard let start = startTime else { return "0:0:0" }
        let seconds = max(0, Int(now.timeIntervalSince(start)))
        return "\(seconds / 3600):\(seconds % 3600 / 60):\(seconds % 60)"
    }
}
