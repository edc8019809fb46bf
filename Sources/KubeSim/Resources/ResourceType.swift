import Essentials

/// One kind kube-sim serves: where it lives in the API and how discovery describes it.
public struct ResourceType: Sendable, Hashable {
    /// "" for the core group.
    public let group: String
    public let version: String
    public let kind: String
    /// The URL segment, e.g. `pods`.
    public let plural: String
    public let namespaced: Bool
    public let shortNames: [String]
    /// Subresources served (e.g. `status`, `log`, `exec`).
    public let subresources: [String]

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var listKind: String { kind + "List" }
    /// Key for storage and watch filtering.
    public var resourceKey: String { group.isEmpty ? plural : "\(plural).\(group)" }

    public static let verbs: [JSONValue] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    var discoveryEntries: [JSONValue] {
        var entries: [JSONValue] = [
            [
                "name": .string(plural), "singularName": .string(kind.lowercased()), "namespaced": .bool(namespaced),
                "kind": .string(kind), "verbs": .array(Self.verbs), "shortNames": .array(shortNames.map(JSONValue.string)),
            ]
        ]
        for sub in subresources {
            let verbs: [JSONValue] = sub == "exec" ? ["create", "get"] : sub == "log" ? ["get"] : ["get", "patch", "update"]
            var entry: [String: JSONValue] = [
                "name": .string("\(plural)/\(sub)"), "singularName": "", "namespaced": .bool(namespaced),
                "kind": .string(sub == "status" ? kind : sub == "exec" ? "PodExecOptions" : sub == "scale" ? "Scale" : "Pod"), "verbs": .array(verbs),
            ]
            // A Scale is autoscaling/v1 whatever the scaled kind's group (how kubectl finds it).
            if sub == "scale" {
                entry["group"] = "autoscaling"
                entry["version"] = "v1"
            }
            entries.append(.object(entry))
        }
        return entries
    }
}

/// The kinds kube-sim knows, grouped as the API server groups them.
public struct ResourceRegistry: Sendable {
    public let types: [ResourceType]

    public static let standard = ResourceRegistry(types: [
        .init(group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false, shortNames: ["ns"], subresources: ["status"]),
        .init(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true, shortNames: ["po"], subresources: ["status", "log", "exec"]),
        .init(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true, shortNames: ["svc"], subresources: ["status"]),
        .init(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true, shortNames: ["cm"], subresources: []),
        .init(group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true, shortNames: [], subresources: []),
        .init(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true, shortNames: ["ev"], subresources: []),
        .init(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false, shortNames: ["no"], subresources: ["status"]),
        .init(
            group: "", version: "v1", kind: "PersistentVolume", plural: "persistentvolumes", namespaced: false, shortNames: ["pv"],
            subresources: ["status"]),
        .init(
            group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true, shortNames: ["pvc"],
            subresources: ["status"]),
        .init(
            group: "", version: "v1", kind: "ResourceQuota", plural: "resourcequotas", namespaced: true, shortNames: ["quota"],
            subresources: ["status"]),
        .init(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true, shortNames: ["sa"], subresources: []),
        .init(group: "", version: "v1", kind: "LimitRange", plural: "limitranges", namespaced: true, shortNames: ["limits"], subresources: []),
        .init(group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true, shortNames: [], subresources: ["status"]),
        .init(group: "batch", version: "v1", kind: "CronJob", plural: "cronjobs", namespaced: true, shortNames: ["cj"], subresources: ["status"]),
        .init(
            group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true, shortNames: ["deploy"],
            subresources: ["status", "scale"]),
        .init(
            group: "networking.k8s.io", version: "v1", kind: "Ingress", plural: "ingresses", namespaced: true, shortNames: ["ing"],
            subresources: ["status"]),
        .init(
            group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", plural: "networkpolicies", namespaced: true, shortNames: ["netpol"],
            subresources: []),
        .init(group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true, shortNames: [], subresources: []),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true, shortNames: [],
            subresources: []),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false, shortNames: [],
            subresources: []),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false,
            shortNames: [], subresources: []),
        .init(
            group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true, shortNames: ["pdb"],
            subresources: ["status"]),
        .init(
            group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers", namespaced: true,
            shortNames: ["hpa"], subresources: ["status"]),
    ])

    public func type(group: String, version: String, plural: String) -> ResourceType? {
        types.first { $0.group == group && $0.version == version && $0.plural == plural }
    }

    public func type(apiVersion: String, kind: String) -> ResourceType? {
        types.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }

    /// Group names in discovery order (core excluded).
    var groups: [String] {
        var seen: [String] = []
        for type in types where !type.group.isEmpty && !seen.contains(type.group) { seen.append(type.group) }
        return seen
    }

    func types(group: String, version: String) -> [ResourceType] {
        types.filter { $0.group == group && $0.version == version }
    }
}
