import Essentials
import Foundation

/// A fetched manifest turned into the pod to create for one user (docs/specs/pods-backend.md
/// §2.3.2 steps 6-10), before a name is chosen. Each step is one method, in upstream's order.
struct PodTemplate: Sendable {
    /// Labels and annotations of ours on every pod.
    enum Keys {
        static let state = "sciencedata.dk/state"
        static let owner = "sciencedata.dk/owner"
        static let createDeadline = "sciencedata.dk/create-deadline"
        /// One id per create_pod call: tells a pod that call made from one another call made.
        static let creationID = "sciencedata.dk/creation-id"
        static let siloIP = "sciencedata.dk/silo-ip"
        static let copyToken = "sciencedata.dk/copy-token"
        static let ingressPort = "sciencedata.dk/ingress-port"
        static let createdForPod = "createdForPod"
        static let podName = "podName"
    }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var pod: JSONValue
    let manifestName: String
    /// The pod mounts the user's storage (a `sciencedata` volume).
    private(set) var needsStorage = false

    init(manifest: JSONValue) throws {
        guard let name = manifest["metadata"]?["name"]?.stringValue, !name.isEmpty else {
            throw Invalid(description: "the manifest's pod has no metadata.name")
        }
        pod = manifest
        manifestName = name
    }

    /// Step 6: the user's `settings` (container → env name → value) replace values of env
    /// entries the manifest declares; other names are ignored, so the manifest's env list is
    /// the list of variables a user may set.
    mutating func applySettings(_ settings: [String: [String: String]]) {
        updateContainers(["containers"]) { container in
            guard let name = container["name"]?.stringValue, let values = settings[name] else { return }
            container["env"] = .array(
                (container["env"]?.arrayValue ?? []).map { entry in
                    guard let key = entry["name"]?.stringValue, let value = values[key] else { return entry }
                    var entry = entry
                    entry["value"] = .string(value)
                    entry["valueFrom"] = nil
                    return entry
                })
        }
    }

    /// Step 7: the default restart policy, and the variables users cannot override.
    mutating func applyMandatorySettings(user: UserID, siloIP: String, restartPolicy: String, hostnames: [String: String]) {
        if (pod["spec"]?["restartPolicy"]?.stringValue ?? "").isEmpty, !restartPolicy.isEmpty {
            pod["spec"]?["restartPolicy"] = .string(restartPolicy)
        }
        let dataNetworkIP = siloIP.replacingFirst("10.0.", with: "10.2.")
        var variables = [("HOME_SERVER_IP", dataNetworkIP), ("SD_UID", user.description)]
        if let hostname = hostnames[siloIP] ?? hostnames[dataNetworkIP] { variables.append(("HOME_SERVER_HOSTNAME", hostname)) }
        updateContainers(["containers"]) { container in
            var env = container["env"]?.arrayValue ?? []
            for (name, value) in variables {
                let entry: JSONValue = ["name": .string(name), "value": .string(value)]
                if let index = env.firstIndex(where: { $0["name"]?.stringValue == name }) { env[index] = entry } else { env.append(entry) }
            }
            container["env"] = .array(env)
        }
    }

    /// Step 8: `LOCALREGISTRY` in an image becomes the local registry; a pull secret replaces
    /// the manifest's when any image used it.
    mutating func applyRegistry(url: String, secret: String) {
        var used = false
        updateContainers(["containers", "initContainers"]) { container in
            guard let image = container["image"]?.stringValue, image.contains("LOCALREGISTRY") else { return }
            container["image"] = .string(image.replacingFirst("LOCALREGISTRY", with: url))
            used = true
        }
        if used, !secret.isEmpty {
            pod["spec"]?["imagePullSecrets"] = [["name": .string(secret)]]
        }
    }

    /// An annotation the manifest itself sets.
    func annotation(_ key: String) -> String? {
        pod["metadata"]?["annotations"]?[key]?.stringValue
    }

    /// Step 9: the labels are ours alone (upstream replaced them: user, domain, podName);
    /// annotations are kept, with ours added.
    mutating func applyIdentity(name: String, user: UserID, namespace: String, annotations: [String: String]) {
        var metadata = pod["metadata"]?.objectValue ?? [:]
        metadata["name"] = .string(name)
        metadata["generateName"] = nil
        metadata["namespace"] = .string(namespace)
        var labels = user.labels.mapValues(JSONValue.string)
        labels[Keys.podName] = .string(name)
        labels[Keys.state] = .string(PodState.creating.rawValue)
        metadata["labels"] = .object(labels)
        var merged = metadata["annotations"]?.objectValue ?? [:]
        for (key, value) in annotations { merged[key] = .string(value) }
        metadata["annotations"] = .object(merged)
        pod["metadata"] = .object(metadata)
    }

    /// Step 10: mounts without a volume: `sciencedata` → the user's storage claim, `local` →
    /// the pre-existing claim `local-claim-<mount path with / as ->`; any other is an error.
    mutating func applyVolumes(storageClaim: String) throws {
        var volumes = pod["spec"]?["volumes"]?.arrayValue ?? []
        var declared = Set(volumes.compactMap { $0["name"]?.stringValue })
        for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
            for mount in container["volumeMounts"]?.arrayValue ?? [] {
                guard let name = mount["name"]?.stringValue, !declared.contains(name) else { continue }
                let claim: String
                switch name {
                case "sciencedata":
                    claim = storageClaim
                case "local":
                    let path = mount["mountPath"]?.stringValue ?? ""
                    claim = "local-claim-" + path.replacingOccurrences(of: "/", with: "-")
                    guard DNSName.isSubdomain(claim) else {
                        throw Invalid(description: "volumeMount 'local' at \(path) gives an invalid claim name \(claim)")
                    }
                default:
                    throw Invalid(description: "volumeMount '\(name)' has no volume and is neither 'sciencedata' nor 'local'")
                }
                volumes.append(["name": .string(name), "persistentVolumeClaim": ["claimName": .string(claim)]])
                declared.insert(name)
            }
        }
        if !volumes.isEmpty { pod["spec"]?["volumes"] = .array(volumes) }
        needsStorage = declared.contains("sciencedata")
    }

    /// The claim a pod's `sciencedata` volume names, if any (the user's storage).
    static func sciencedataClaim(of pod: JSONValue) -> String? {
        pod["spec"]?["volumes"]?.arrayValue?.first { $0["name"]?.stringValue == "sciencedata" }?["persistentVolumeClaim"]?["claimName"]?.stringValue
    }

    var sciencedataClaim: String? { Self.sciencedataClaim(of: pod) }

    mutating func setStorageClaim(_ claim: String) {
        guard var volumes = pod["spec"]?["volumes"]?.arrayValue,
            let index = volumes.firstIndex(where: { $0["name"]?.stringValue == "sciencedata" && $0["persistentVolumeClaim"] != nil })
        else { return }
        volumes[index]["persistentVolumeClaim"]?["claimName"] = .string(claim)
        pod["spec"]?["volumes"] = .array(volumes)
    }

    mutating func enforce(_ policy: PodPolicy, namespace: String) throws {
        try policy.check(pod)
        policy.enforce(&pod, namespace: namespace)
    }

    private mutating func updateContainers(_ kinds: [String], _ body: (inout JSONValue) -> Void) {
        for kind in kinds {
            guard let containers = pod["spec"]?[kind]?.arrayValue else { continue }
            pod["spec"]?[kind] = .array(
                containers.map { container in
                    var container = container
                    body(&container)
                    return container
                })
        }
    }
}

extension String {
    /// Upstream replaced only the first occurrence (`strings.Replace(…, 1)`).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
