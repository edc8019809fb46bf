import Essentials

/// What RoleBindings stored in kube-sim grant, on top of the access file's own rules: a user
/// (a service account is `system:serviceaccount:NS:NAME`) may do in a namespace what a
/// RoleBinding there grants it through its Role or ClusterRole. And RBAC's guard against
/// escalation: a RoleBinding or ClusterRoleBinding may only be made by someone allowed to
/// `bind` the role it names (the API server also lets in one who holds every right of the role;
/// kube-sim asks for `bind`, which is what a least-privileged chart grants).
struct RoleBindings: Sendable {
    let store: ObjectStore
    let registry: ResourceRegistry

    private static let group = "rbac.authorization.k8s.io"

    private func type(_ plural: String) -> ResourceType? {
        registry.type(group: Self.group, version: "v1", plural: plural)
    }

    /// Whether a RoleBinding in `namespace` names the user and its role allows the request.
    func allow(user: String, verb: String, group: String, resource: String, namespace: String, name: String?) async -> Bool {
        guard let bindings = type("rolebindings"), let clusterRoles = type("clusterroles"), let roles = type("roles"),
            let list = try? await store.list(bindings, namespace: namespace)
        else { return false }
        for binding in list.items where Self.names(binding, user: user, namespace: namespace) {
            let reference = binding["roleRef"]
            guard let roleName = reference?["name"]?.stringValue else { continue }
            let role =
                reference?["kind"] == "ClusterRole"
                ? try? await store.get(clusterRoles, namespace: nil, name: roleName)
                : try? await store.get(roles, namespace: namespace, name: roleName)
            if let rules = role?["rules"]?.arrayValue, AccessControl.roleAllows(rules, verb: verb, group: group, resource: resource, name: name) {
                return true
            }
        }
        return false
    }

    private static func names(_ binding: JSONValue, user: String, namespace: String) -> Bool {
        (binding["subjects"]?.arrayValue ?? []).contains { subject in
            switch subject["kind"]?.stringValue {
            case "ServiceAccount":
                let home = subject["namespace"]?.stringValue ?? namespace
                return user == "system:serviceaccount:\(home):\(subject["name"]?.stringValue ?? "")"
            case "User":
                return subject["name"]?.stringValue == user
            default:
                return false
            }
        }
    }

    /// 403 unless `user` may bind the role a new binding names.
    func checkBind(_ binding: JSONValue, plural: String, user: AccessControl.User, access: AccessControl, namespace: String?) throws {
        guard ["rolebindings", "clusterrolebindings"].contains(plural) else { return }
        let kind = binding["roleRef"]?["kind"]?.stringValue ?? "ClusterRole"
        let roleName = binding["roleRef"]?["name"]?.stringValue ?? ""
        let resource = kind == "Role" ? "roles" : "clusterroles"
        guard access.allows(user, verb: "bind", group: Self.group, resource: resource, namespace: kind == "Role" ? namespace : nil, name: roleName)
        else {
            throw KubeStatus.forbidden(
                "\(plural).\(Self.group) \"\(binding["metadata"]?["name"]?.stringValue ?? "")\" is forbidden: user \"\(user.name)\" is attempting to grant RBAC permissions not currently held: it may not bind \(kind) \"\(roleName)\""
            )
        }
    }
}
