/// Names of the objects made for a user's pod. Pods are found by their labels, so pods
/// upstream named `<manifest>-<legacy user string>` are still listed, owned and deleted;
/// new names are DNS-safe and injective (docs/specs/pods-backend.md §3.1, W4, W16).
enum ResourceNames {
    /// Longest pod name: `<pod>-http` must be a DNS-1035 label (63) and `<pod>.<domain>` a
    /// host whose first label is the pod name. Leaves room for `-ssh`, `-http`, `-9`.
    static let maxPodName = 56
    static let maxManifestPart = 20

    /// The first candidate pod name for `manifestName` (e.g. `jupyter`) and `user`; the
    /// creator tries `-1` … `-9` after it when taken, as upstream.
    static func podBase(manifestName: String, user: UserID) -> String {
        var manifest = String(manifestName.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
        while manifest.contains("--") { manifest = manifest.replacingOccurrences(of: "--", with: "-") }
        manifest = String(manifest.trimmingCharacters(in: ["-"]).prefix(maxManifestPart)).trimmingCharacters(in: ["-"])
        if manifest.isEmpty || !(manifest.first!.isLetter) { manifest = "pod" + (manifest.isEmpty ? "" : "-" + manifest) }
        manifest = String(manifest.prefix(maxManifestPart)).trimmingCharacters(in: ["-"])
        return "\(manifest)-\(user.safeUserString(maxLength: maxPodName - 2 - manifest.count - 1))"
    }

    static func candidates(base: String) -> [String] {
        [base] + (1...9).map { "\(base)-\($0)" }
    }

    static func sshService(pod: String) -> String { "\(pod)-ssh" }
    static func httpService(pod: String) -> String { "\(pod)-http" }
    static func ingress(pod: String) -> String { "\(pod)-ingress" }
    static func tokenSecret(pod: String) -> String { "\(pod)-tokens" }

    /// The user's storage claim: `user-storage-<safe user string>`.
    static func storageClaim(user: UserID) -> String { "user-storage-\(user.safeUserString())" }

    /// PersistentVolumes are cluster-wide: the namespace is part of the name so two
    /// namespaces (sciencedata, sciencedata-dev) never share one (docs/specs/pods-backend.md W19).
    static func storageVolume(user: UserID, namespace: String) -> String {
        "user-storage-\(user.safeUserString())-\(UserID.hash(namespace, length: 6))"
    }

    static let storagePrefix = "user-storage-"
}
