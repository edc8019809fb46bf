import Essentials
import Foundation
import NIOConcurrencyHelpers
import ServiceKit
import Yams

/// Optional authentication and an RBAC-like allow list for kube-sim, so tests can show a
/// service works with exactly the permissions its Helm chart grants.
///
/// ```yaml
/// users:
///   - name: system:serviceaccount:rexec:rexec-deployment-api
///     token: deploy-api-token
///     rules:
///       - apiGroups: [""]
///         resources: [namespaces, configmaps]
///         verbs: [get, list, create, delete]
///       - apiGroups: [apps]
///         resources: [deployments]
///         verbs: ["*"]
///         namespaces: ["rexec-server-*"]   # optional; "*" suffix is a prefix match
/// ```
/// Verbs and resources as in RBAC: `get list watch create update patch delete
/// deletecollection`, subresources as `pods/log`, `pods/exec`, `deployments/status`.
public struct AccessControl: Sendable {
    public struct Rule: Sendable, Equatable {
        public var apiGroups: [String]
        public var resources: [String]
        public var verbs: [String]
        public var namespaces: [String]?
        public var resourceNames: [String]?
    }

    public struct User: Sendable {
        public var name: String
        public var token: String
        public var rules: [Rule]
    }

    /// One decision, as an audit log would record it.
    public struct Decision: Sendable, Equatable, CustomStringConvertible {
        public let user: String
        public let verb: String
        public let group: String
        public let resource: String
        public let namespace: String?
        public let allowed: Bool

        public var description: String {
            "\(allowed ? "allowed" : "DENIED") \(user) \(verb) \(group.isEmpty ? "" : group + "/")\(resource)\(namespace.map { " in " + $0 } ?? "")"
        }
    }

    let users: [User]
    private let log = NIOLockedValueBox<[Decision]>([])

    public init(users: [User]) {
        self.users = users
    }

    public static func load(path: String) throws -> AccessControl {
        guard let data = FileManager.default.contents(atPath: path),
            let root = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) as? [String: Any],
            let entries = root["users"] as? [[String: Any]]
        else { throw ConfigurationError(variable: "KUBESIM_AUTH_FILE", value: path, expected: "a readable YAML file with a 'users' list") }
        return AccessControl(
            users: entries.map { entry in
                User(
                    name: entry["name"] as? String ?? "anonymous", token: entry["token"] as? String ?? "",
                    rules: (entry["rules"] as? [[String: Any]] ?? []).map { rule in
                        Rule(
                            apiGroups: rule["apiGroups"] as? [String] ?? [], resources: rule["resources"] as? [String] ?? [],
                            verbs: rule["verbs"] as? [String] ?? [], namespaces: rule["namespaces"] as? [String],
                            resourceNames: rule["resourceNames"] as? [String]
                        )
                    }
                )
            })
    }

    /// Every decision so far, oldest first.
    public var decisions: [Decision] { log.withLockedValue { $0 } }

    /// The caller, or 401 without a known token.
    func authenticate(_ token: String?) throws -> User {
        guard let token, let user = users.first(where: { !$0.token.isEmpty && $0.token == token }) else {
            throw KubeStatus.unauthorized()
        }
        return user
    }

    /// Whether the user's own rules (the file's) allow the request.
    func allows(_ user: User, verb: String, group: String, resource: String, namespace: String?, name: String?) -> Bool {
        user.rules.contains { rule in
            Self.matches(rule.apiGroups, group) && Self.matches(rule.resources, resource) && Self.matches(rule.verbs, verb)
                && (rule.namespaces.map { patterns in namespace.map { Self.matches(patterns, $0) } ?? patterns.contains("*") } ?? true)
                && (rule.resourceNames.map { names in name.map(names.contains) ?? false } ?? true)
        }
    }

    /// Records the decision; 403 with the API server's wording when it is a refusal.
    /// `granted` is what the user's rules or a RoleBinding in the namespace allowed.
    func decide(_ user: User, verb: String, group: String, resource: String, namespace: String?, name: String?, granted: Bool) throws {
        log.withLockedValue {
            $0.append(Decision(user: user.name, verb: verb, group: group, resource: resource, namespace: namespace, allowed: granted))
        }
        guard granted else {
            let (base, sub) = Self.split(resource)
            let what = sub.map { "resource \"\(base)\" (subresource \"\($0)\")" } ?? "resource \"\(base)\""
            let scope = namespace.map { " in the namespace \"\($0)\"" } ?? " at the cluster scope"
            throw KubeStatus.forbidden(
                "\(base)\(name.map { " \"\($0)\"" } ?? "") is forbidden: User \"\(user.name)\" cannot \(verb) \(what) in API group \"\(group)\"\(scope)"
            )
        }
    }

    /// Allowed by the user's own rules, or 403.
    func authorize(_ user: User, verb: String, group: String, resource: String, namespace: String?, name: String?) throws {
        try decide(
            user, verb: verb, group: group, resource: resource, namespace: namespace, name: name,
            granted: allows(user, verb: verb, group: group, resource: resource, namespace: namespace, name: name))
    }

    /// RBAC's rule for a rule list from a Role or ClusterRole object (no namespace patterns).
    static func roleAllows(_ rules: [JSONValue], verb: String, group: String, resource: String, name: String?) -> Bool {
        rules.contains { rule in
            func list(_ key: String) -> [String] { rule[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            let names = list("resourceNames")
            return matches(list("apiGroups"), group) && matches(list("resources"), resource) && matches(list("verbs"), verb)
                && (names.isEmpty || name.map(names.contains) == true)
        }
    }

    static func matches(_ patterns: [String], _ value: String) -> Bool {
        patterns.contains { $0 == "*" || $0 == value || ($0.hasSuffix("*") && value.hasPrefix(String($0.dropLast()))) }
    }

    private static func split(_ resource: String) -> (String, String?) {
        let parts = resource.split(separator: "/", maxSplits: 1).map(String.init)
        return (parts[0], parts.count > 1 ? parts[1] : nil)
    }
}
