import Foundation

/// Where a kind lives in the API: enough to build its URLs.
public struct ResourceDescriptor: Sendable, Hashable {
    public let group: String
    public let version: String
    public let kind: String
    public let plural: String
    public let namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `/api/v1/namespaces/ns/pods[/name]` or `/apis/apps/v1/...`.
    func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(Self.escape(namespace))" }
        path += "/\(plural)"
        if let name { path += "/\(Self.escape(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: "/"))) ?? segment
    }

    public static let namespaces = Self(group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)
    public static let pods = Self(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true)
    public static let services = Self(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true)
    public static let configMaps = Self(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)
    public static let secrets = Self(group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true)
    public static let events = Self(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)
    public static let nodes = Self(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false)
    public static let persistentVolumes = Self(group: "", version: "v1", kind: "PersistentVolume", plural: "persistentvolumes", namespaced: false)
    public static let persistentVolumeClaims = Self(
        group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true)
    public static let resourceQuotas = Self(group: "", version: "v1", kind: "ResourceQuota", plural: "resourcequotas", namespaced: true)
    public static let limitRanges = Self(group: "", version: "v1", kind: "LimitRange", plural: "limitranges", namespaced: true)
    public static let deployments = Self(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true)
    public static let ingresses = Self(group: "networking.k8s.io", version: "v1", kind: "Ingress", plural: "ingresses", namespaced: true)
    public static let networkPolicies = Self(
        group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", plural: "networkpolicies", namespaced: true)
    public static let jobs = Self(group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true)
    public static let cronJobs = Self(group: "batch", version: "v1", kind: "CronJob", plural: "cronjobs", namespaced: true)
    public static let roleBindings = Self(
        group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true)
    public static let clusterRoles = Self(
        group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false)
}
