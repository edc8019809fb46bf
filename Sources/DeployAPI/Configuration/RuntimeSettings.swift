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

    // MARK: Declarations

    static let useInClusterConfig = Setting<Bool>.boolean(
        "REXEC_USE_IN_CLUSTER_CONFIG", default: false, help: "Use the pod's service account (upstream's first choice of credentials).")
    static let kubeconfigMountPath = Setting<String?>.optionalText(
        "REXEC_KUBECONFIG_MOUNT_PATH", help: "A kubeconfig mounted into the pod (upstream's second choice).", accepts: "file path")
    static let kubeconfigLocalPath = Setting<String?>.optionalText(
        "REXEC_KUBECONFIG_LOCAL_PATH", help: "A local kubeconfig (upstream's third choice); then KUBECONFIG and ~/.kube/config.",
        accepts: "file path")
    static let namespacePrefix = Setting<String>.text(
        "REXEC_NAMESPACE_PREFIX", default: "rexec-server-", accepts: "up to 30 characters that start a DNS label",
        help: "User namespaces are this prefix + the user key."
    ) { prefix in
        prefix.isEmpty || (UserKey.isPlainLabel(prefix + "x") && prefix.count <= 30) ? nil : "up to 30 characters that start a DNS label"
    }
    static let namespaceWaitTimeout = Setting<Duration>.seconds(
        "REXEC_NAMESPACE_WAIT_TIMEOUT_SECONDS", default: 60, range: 1...3600,
        help: "How long a spawn waits for a namespace still being deleted before it gives up with 503.")
    static let apiTimeout = Setting<Duration>.seconds(
        "REXEC_KUBERNETES_TIMEOUT_SECONDS", default: 30, range: 1...600,
        help: "One Kubernetes API call's budget; a hanging API server turns into a 502 after it.")
    static let containerName = DeploySettings.dnsLabel("REXEC_CONTAINER_NAME", default: "rexec-server", help: "The server's container name.")
    static let image = Setting<String>.text(
        "REXEC_SERVER_IMAGE", default: "python:{python}-slim", help: "The server image; {python} becomes the requirements' pinned version.")
    static let pullPolicy = Setting<PullPolicy>.choice(
        "REXEC_SERVER_IMAGE_PULL_POLICY", default: .IfNotPresent, help: "The server image's pull policy.")
    static let cpuRequest = quantity("REXEC_SERVER_CPU_REQUEST", "250m", "CPU request")
    static let memoryRequest = quantity("REXEC_SERVER_MEMORY_REQUEST", "512Mi", "memory request")
    static let storageRequest = quantity("REXEC_SERVER_EPHEMERAL_STORAGE_REQUEST", "512Mi", "ephemeral-storage request")
    static let cpuLimit = quantity("REXEC_SERVER_CPU_LIMIT", "2", "CPU limit")
    static let memoryLimit = quantity("REXEC_SERVER_MEMORY_LIMIT", "4Gi", "memory limit")
    static let storageLimit = quantity("REXEC_SERVER_EPHEMERAL_STORAGE_LIMIT", "2Gi", "ephemeral-storage limit")
    static let networkPolicy = Setting<Bool>.boolean(
        "REXEC_NETWORK_POLICY", default: true, help: "A NetworkPolicy per server: no ingress, egress only to the broker and DNS.")
    static let egressCIDRs = Setting<[String]>.list(
        "REXEC_SERVER_EGRESS_CIDRS", help: "More egress for servers (your package index, or 0.0.0.0/0 to let pip reach PyPI).")
    static let resourceQuota = Setting<Bool>.boolean(
        "REXEC_RESOURCE_QUOTA", default: false, help: "A ResourceQuota per user namespace, sized to one server.")
    static let runAsUser = Setting<Int>.integer(
        "REXEC_SERVER_RUN_AS_USER", default: 1000, range: 1...2_147_483_647, help: "The non-root uid the server runs as.")

    static let settings = SettingGroup(
        "Kubernetes runtime",
        [
            useInClusterConfig, kubeconfigMountPath, kubeconfigLocalPath, namespacePrefix, namespaceWaitTimeout, apiTimeout,
            containerName, image, pullPolicy, cpuRequest, memoryRequest, storageRequest, cpuLimit, memoryLimit, storageLimit,
            networkPolicy, egressCIDRs, resourceQuota, runAsUser,
        ])

    static func load(from source: ConfigurationSource) throws -> KubernetesRuntimeSettings {
        KubernetesRuntimeSettings(
            inCluster: try source.value(useInClusterConfig),
            kubeconfigCandidates: [try source.value(kubeconfigMountPath), try source.value(kubeconfigLocalPath)]
                .compactMap { $0.map { NSString(string: $0).expandingTildeInPath } },
            namespacePrefix: try source.value(namespacePrefix),
            namespaceWaitTimeout: try source.value(namespaceWaitTimeout),
            apiTimeout: try source.value(apiTimeout),
            containerName: try source.value(containerName),
            imageTemplate: try source.value(image),
            imagePullPolicy: try source.value(pullPolicy).rawValue,
            requests: [
                "cpu": try source.value(cpuRequest), "memory": try source.value(memoryRequest),
                "ephemeral-storage": try source.value(storageRequest),
            ],
            limits: [
                "cpu": try source.value(cpuLimit), "memory": try source.value(memoryLimit), "ephemeral-storage": try source.value(storageLimit),
            ],
            networkPolicy: try source.value(networkPolicy),
            egressCIDRs: try source.value(egressCIDRs),
            resourceQuota: try source.value(resourceQuota),
            runAsUser: try source.value(runAsUser)
        )
    }

    /// A Kubernetes quantity (`250m`, `2`, `512Mi`).
    static func quantity(_ name: String, _ value: String, _ what: String) -> Setting<String> {
        .text(name, default: value, accepts: "Kubernetes quantity", help: "Each server's \(what).") { text in
            text.range(of: #"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$"#, options: .regularExpression) != nil
                ? nil : "a Kubernetes quantity such as 250m, 2, 512Mi or 4Gi"
        }
    }

    enum PullPolicy: String, CaseIterable, Sendable {
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
    /// `REXEC_LOCAL_SERVER_KEYS_DIR`: where each server's public key is registered for the
    /// broker (its `REXEC_BROKER_SERVER_KEYS_DIR`).
    var serverKeysDirectory: URL

    static let stateDirectory = Setting<String>.text(
        "REXEC_LOCAL_STATE_DIR", default: "$TMPDIR/rexec-deploy-api", help: "Working directories and cached virtual environments of local servers."
    ).derivingDefault("$TMPDIR/rexec-deploy-api") { _ in FileManager.default.temporaryDirectory.appendingPathComponent("rexec-deploy-api").path }
    static let pythons = Setting<[String]>.list(
        "REXEC_LOCAL_PYTHON", default: "python3", help: "Interpreters to build environments from (one whose version matches the pin is used).")
    static let pipArguments = Setting<String?>.optionalText(
        "REXEC_LOCAL_PIP_ARGS", help: "Extra arguments for pip install, space-separated (e.g. --no-index --find-links DIR).")
    static let installTimeout = Setting<Duration>.seconds(
        "REXEC_LOCAL_INSTALL_TIMEOUT_SECONDS", default: 600, range: 1...7200, help: "A virtual environment build longer than this fails.")
    static let restartLimit = Setting<Int>.integer(
        "REXEC_LOCAL_RESTART_LIMIT", default: 5, range: 0...1000, help: "Crashes in a row before a server is left failed.")

    static let serverKeysDirectory = Setting<String?>.optionalText(
        "REXEC_LOCAL_SERVER_KEYS_DIR",
        help: "Where each local server's CURVE public key is registered for the broker (the broker's REXEC_BROKER_SERVER_KEYS_DIR).",
        accepts: "directory path", default: "<REXEC_LOCAL_STATE_DIR>/server-keys")

    static let settings = SettingGroup(
        "Local runtime", [stateDirectory, pythons, pipArguments, installTimeout, restartLimit, serverKeysDirectory])

    static func load(from source: ConfigurationSource) throws -> LocalRuntimeSettings {
        let pythons = try source.value(Self.pythons)
        let state = URL(fileURLWithPath: NSString(string: try source.value(stateDirectory)).expandingTildeInPath)
        return LocalRuntimeSettings(
            stateDirectory: state,
            pythons: pythons.isEmpty ? ["python3"] : pythons,
            pipArguments: try source.value(pipArguments).map { $0.split(separator: " ").map(String.init) } ?? [],
            installTimeout: try source.value(installTimeout),
            restartLimit: try source.value(restartLimit),
            serverKeysDirectory: try source.value(serverKeysDirectory).map { URL(fileURLWithPath: NSString(string: $0).expandingTildeInPath) }
                ?? state.appendingPathComponent("server-keys")
        )
    }
}
