import Foundation
import Yams

extension KubernetesConfiguration {
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// In-cluster: `KUBERNETES_SERVICE_HOST`/`_PORT`, the projected token (re-read on
    /// rotation), the CA bundle and the pod's namespace from the service-account directory.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment, directory: String = serviceAccountDirectory
    ) throws -> KubernetesConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty, let port = environment["KUBERNETES_SERVICE_PORT"] else {
            throw KubernetesConfigurationError("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(hostPart):\(port)") else {
            throw KubernetesConfigurationError("invalid KUBERNETES_SERVICE_HOST/PORT: \(host):\(port)")
        }
        let tokenPath = directory + "/token"
        guard FileManager.default.fileExists(atPath: tokenPath) else {
            throw KubernetesConfigurationError("no service-account token at \(tokenPath)")
        }
        let ca = FileManager.default.contents(atPath: directory + "/ca.crt").map(Array.init)
        let namespace = FileManager.default.contents(atPath: directory + "/namespace")
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        return KubernetesConfiguration(
            server: server, credentials: .bearerTokenFile(tokenPath), certificateAuthorityPEM: ca,
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default", source: "in-cluster service account"
        )
    }

    /// A kubeconfig file: the named context (or `current-context`), its cluster's server and
    /// CA (file or data), insecure-skip-tls-verify, and its user's token, token file or client
    /// certificate and key (file or data). Relative file paths are relative to the kubeconfig.
    public static func kubeconfig(path: String, context: String? = nil) throws -> KubernetesConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubernetesConfigurationError("cannot read kubeconfig \(path)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        guard let root = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) as? [String: Any] else {
            throw KubernetesConfigurationError("kubeconfig \(path) is not a YAML mapping")
        }
        func named(_ list: String, _ name: String) throws -> [String: Any] {
            let entries = root[list] as? [[String: Any]] ?? []
            guard let entry = entries.first(where: { $0["name"] as? String == name }) else {
                throw KubernetesConfigurationError("kubeconfig \(path): no \(list) entry named '\(name)'")
            }
            return entry[String(list.dropLast())] as? [String: Any] ?? [:]
        }
        guard let contextName = context ?? (root["current-context"] as? String), !contextName.isEmpty else {
            throw KubernetesConfigurationError("kubeconfig \(path): no current-context and none given")
        }
        let contextEntry = try named("contexts", contextName)
        guard let clusterName = contextEntry["cluster"] as? String else {
            throw KubernetesConfigurationError("kubeconfig \(path): context '\(contextName)' names no cluster")
        }
        let cluster = try named("clusters", clusterName)
        guard let serverText = cluster["server"] as? String, let server = URL(string: serverText) else {
            throw KubernetesConfigurationError("kubeconfig \(path): cluster '\(clusterName)' has no valid server")
        }
        let user = try (contextEntry["user"] as? String).map { try named("users", $0) } ?? [:]

        func bytes(data dataKey: String, file fileKey: String, in entry: [String: Any]) throws -> [UInt8]? {
            if let encoded = entry[dataKey] as? String {
                guard let decoded = Data(base64Encoded: encoded.filter { !$0.isWhitespace }) else {
                    throw KubernetesConfigurationError("kubeconfig \(path): \(dataKey) is not base64")
                }
                return Array(decoded)
            }
            if let file = entry[fileKey] as? String {
                let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : base.appendingPathComponent(file)
                guard let contents = FileManager.default.contents(atPath: url.path) else {
                    throw KubernetesConfigurationError("kubeconfig \(path): cannot read \(fileKey) \(url.path)")
                }
                return Array(contents)
            }
            return nil
        }

        let credentials: Credentials
        if let token = user["token"] as? String, !token.isEmpty {
            credentials = .bearerToken(token)
        } else if let tokenFile = user["tokenFile"] as? String {
            credentials = .bearerTokenFile(tokenFile.hasPrefix("/") ? tokenFile : base.appendingPathComponent(tokenFile).path)
        } else if let certificate = try bytes(data: "client-certificate-data", file: "client-certificate", in: user) {
            guard let key = try bytes(data: "client-key-data", file: "client-key", in: user) else {
                throw KubernetesConfigurationError("kubeconfig \(path): user has a client certificate but no client key")
            }
            credentials = .clientCertificate(certificatePEM: certificate, keyPEM: key)
        } else {
            credentials = .none
        }
        var configuration = KubernetesConfiguration(
            server: server, credentials: credentials,
            certificateAuthorityPEM: try bytes(data: "certificate-authority-data", file: "certificate-authority", in: cluster),
            insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"] as? Bool ?? false,
            namespace: (contextEntry["namespace"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            source: "kubeconfig \(path) context \(contextName)"
        )
        configuration.contextName = contextName
        return configuration
    }

    /// `KUBECONFIG` (first entry of the list), else in-cluster when running in a pod, else
    /// `~/.kube/config`.
    public static func automatic(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KubernetesConfiguration {
        if let list = environment["KUBECONFIG"], let first = list.split(separator: ":").first {
            return try kubeconfig(path: String(first))
        }
        if environment["KUBERNETES_SERVICE_HOST"] != nil {
            return try inCluster(environment: environment)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return try kubeconfig(path: home + "/.kube/config")
    }
}
