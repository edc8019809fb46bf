import Foundation
import ServiceKit

/// How per-user servers are laid out in Kubernetes.
struct KubernetesRuntimeSettings: Sendable {
    /// `REXEC_USE_IN_CLUSTER_CONFIG`, `REXEC_KUBECONFIG_MOUNT_PATH`, `REXEC_KUBECONFIG_LOCAL_PATH`
    /// (upstream's candidates, in order), else `KUBECONFIG` / in-cluster detection.
    var inCluster: Bool
    var kubeconfigCandidates: [String]
    /// `REXEC_NAMESPACE_PREFIX`.
    var namespacePrefix: String
    /// `REXEC_NAMESPACE_WAIT_TIMEOUT_SECONDS`: how long a spawn waits for a namespace still
    /// being deleted (terminate, then spawn again) before it gives up with 503.
    var namespaceWaitTimeout: Duration
    /// `REXEC_KUBERNETES_TIMEOUT_SECONDS`: one Kubernetes API call's budget (30 s); a hanging
    /// API server turns into a 502 after it instead of a request that never ends.
    var apiTimeout: Duration
    /// `REXEC_CONTAINER_NAME`.
    var containerName: String
    /// `REXEC_SERVER_IMAGE`: `{python}` becomes the pinned version (upstream ran `python:<ver>`).
    var imageTemplate: String
    /// `REXEC_SERVER_IMAGE_PULL_POLICY`.
    var imagePullPolicy: String
    /// `REXEC_SERVER_{CPU,MEMORY,EPHEMERAL_STORAGE}_{REQUEST,LIMIT}` (upstream 0.0.9 defaults).
    var requests: [String: String]
    var limits: [String: String]
    /// `REXEC_NETWORK_POLICY`: egress only to the broker and DNS (plus `REXEC_SERVER_EGRESS_CIDRS`).
    var networkPolicy: Bool
    var egressCIDRs: [String]
    /// `REXEC_RESOURCE_QUOTA`: a quota per user namespace, sized to one server.
    var resourceQuota: Bool
    /// `REXEC_SERVER_RUN_AS_USER`: the non-root uid the server runs as.
    var runAsUser: Int

    static func load(from source: ConfigurationSource) throws -> KubernetesRuntimeSettings {
        let prefix = source.string("REXEC_NAMESPACE_PREFIX", default: "rexec-server-")
        guard prefix.isEmpty || (UserKey.isPlainLabel(prefix + "x") && prefix.count <= 30) else {
            throw ConfigurationError(variable: "REXEC_NAMESPACE_PREFIX", value: prefix, expected: "up to 30 characters that start a DNS label")
        }
        func quantity(_ name: String, _ defaultValue: String) throws -> String {
            let value = source.string(name, default: defaultValue).trimmingCharacters(in: .whitespaces)
            guard value.range(of: #"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$"#, options: .regularExpression) != nil else {
                throw ConfigurationError(variable: name, value: value, expected: "a Kubernetes quantity such as 250m, 2, 512Mi or 4Gi")
            }
            return value
        }
        return KubernetesRuntimeSettings(
            inCluster: try source.bool("REXEC_USE_IN_CLUSTER_CONFIG", default: false),
            kubeconfigCandidates: [source.optionalString("REXEC_KUBECONFIG_MOUNT_PATH"), source.optionalString("REXEC_KUBECONFIG_LOCAL_PATH")]
                .compactMap { $0.map { NSString(string: $0).expandingTildeInPath } },
            namespacePrefix: prefix,
            namespaceWaitTimeout: try source.seconds("REXEC_NAMESPACE_WAIT_TIMEOUT_SECONDS", default: 60, range: 1...3600),
            apiTimeout: try source.seconds("REXEC_KUBERNETES_TIMEOUT_SECONDS", default: 30, range: 1...600),
            containerName: try DeploySettings.dnsLabel(source, "REXEC_CONTAINER_NAME", default: "rexec-server"),
            imageTemplate: source.string("REXEC_SERVER_IMAGE", default: "python:{python}-slim"),
            imagePullPolicy: try source.choice("REXEC_SERVER_IMAGE_PULL_POLICY", default: PullPolicy.IfNotPresent).rawValue,
            requests: [
                "cpu": try quantity("REXEC_SERVER_CPU_REQUEST", "250m"),
                "memory": try quantity("REXEC_SERVER_MEMORY_REQUEST", "512Mi"),
                "ephemeral-storage": try quantity("REXEC_SERVER_EPHEMERAL_STORAGE_REQUEST", "512Mi"),
            ],
            limits: [
                "cpu": try quantity("REXEC_SERVER_CPU_LIMIT", "2"),
                "memory": try quantity("REXEC_SERVER_MEMORY_LIMIT", "4Gi"),
                "ephemeral-storage": try quantity("REXEC_SERVER_EPHEMERAL_STORAGE_LIMIT", "2Gi"),
            ],
            networkPolicy: try source.bool("REXEC_NETWORK_POLICY", default: true),
            egressCIDRs: source.list("REXEC_SERVER_EGRESS_CIDRS"),
            resourceQuota: try source.bool("REXEC_RESOURCE_QUOTA", default: false),
            runAsUser: try source.integer("REXEC_SERVER_RUN_AS_USER", default: 1000, range: 1...2_147_483_647)
        )
    }

    enum PullPolicy: String, CaseIterable {
        case Always, IfNotPresent, Never
    }

    /// The namespace of a user's server.
    func namespace(for user: UserKey) -> String { namespacePrefix + user.value }

    /// How long a user key may be so prefix + key is a DNS label.
    var maxUserKeyLength: Int { 63 - namespacePrefix.count }
}

/// How the local runtime runs servers as child processes.
struct LocalRuntimeSettings: Sendable {
    /// `REXEC_LOCAL_STATE_DIR`: working directories and cached virtual environments.
    var stateDirectory: URL
    /// `REXEC_LOCAL_PYTHON`: interpreters to build environments from (each is asked its version).
    var pythons: [String]
    /// `REXEC_LOCAL_PIP_ARGS`: extra arguments for `pip install` (e.g. `--no-index --find-links DIR`).
    var pipArguments: [String]
    /// `REXEC_LOCAL_INSTALL_TIMEOUT_SECONDS`: a virtual environment build longer than this fails.
    var installTimeout: Duration
    /// `REXEC_LOCAL_RESTART_LIMIT`: crashes in a row before a server is left failed.
    var restartLimit: Int

    static func load(from source: ConfigurationSource) throws -> LocalRuntimeSettings {
        let defaultState = FileManager.default.temporaryDirectory.appendingPathComponent("rexec-deploy-api").path
        return LocalRuntimeSettings(
            stateDirectory: URL(
                fileURLWithPath: NSString(string: source.string("REXEC_LOCAL_STATE_DIR", default: defaultState)).expandingTildeInPath),
            pythons: source.list("REXEC_LOCAL_PYTHON").isEmpty ? ["python3"] : source.list("REXEC_LOCAL_PYTHON"),
            pipArguments: source.optionalString("REXEC_LOCAL_PIP_ARGS").map { $0.split(separator: " ").map(String.init) } ?? [],
            installTimeout: try source.seconds("REXEC_LOCAL_INSTALL_TIMEOUT_SECONDS", default: 600, range: 1...7200),
            restartLimit: try source.integer("REXEC_LOCAL_RESTART_LIMIT", default: 5, range: 0...1000)
        )
    }
}
