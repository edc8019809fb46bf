import BrokerWire
import Essentials
import Foundation
import Kubernetes
import Logging
import ServiceKit

/// Per-user servers as Kubernetes objects (see ``ServerManifest``). Holds no state of its
/// own: every answer is read back from the API server, so replicas and restarts agree.
struct KubernetesRuntime: ServerRuntime {
    let kube: KubernetesClient
    let settings: KubernetesRuntimeSettings
    let broker: DeploySettings.BrokerSettings
    let heartbeatInterval: Int
    /// The rexec server's files, keyed as in the code ConfigMap.
    let serverCode: [String: String]
    let logger: Logger
    var issuer: CredentialIssuer { CredentialIssuer(settings: broker) }

    // MARK: Reading

    func server(for user: UserKey) async throws -> ServerRecord? {
        let namespace = settings.namespace(for: user)
        let namespaceObject: CoreV1.Namespace
        do {
            namespaceObject = try await kube.get(CoreV1.Namespace.self, name: namespace)
        } catch let error as KubernetesError where error.isNotFound {
            return nil
        }
        let deployment: AppsV1.Deployment
        do {
            deployment = try await kube.get(AppsV1.Deployment.self, namespace: namespace, name: ServerManifest.deploymentName)
        } catch let error as KubernetesError where error.isNotFound {
            guard namespaceObject.metadata.deletionTimestamp != nil else { return nil }
            return ServerRecord(user: user, digest: "", requirements: [], created: Date(), phase: .terminating, message: nil)
        }
        var record = try await record(user: user, deployment: deployment, namespaceTerminating: namespaceObject.metadata.deletionTimestamp != nil)
        record.credentialed =
            ServerKeyRegistration.from(annotations: namespaceObject.metadata.annotations)?.publicKey
            == deployment.spec?.template.metadata?.annotations?[ServerManifest.credentialAnnotation]
        return record
    }

    func servers() async throws -> [ServerRecord] {
        let deployments = try await kube.list(AppsV1.Deployment.self, labelSelector: "app.kubernetes.io/managed-by=rexec-deploy-api")
        var records: [ServerRecord] = []
        for deployment in deployments where deployment.metadata.namespace?.hasPrefix(settings.namespacePrefix) == true {
            guard let sub = deployment.metadata.annotations?[ServerManifest.subAnnotation] else { continue }
            let user = UserKey(sub: sub, maxLength: settings.maxUserKeyLength)
            records.append(try await record(user: user, deployment: deployment, namespaceTerminating: false))
        }
        return records
    }

    private func record(user: UserKey, deployment: AppsV1.Deployment, namespaceTerminating: Bool) async throws -> ServerRecord {
        let requirements =
            deployment.metadata.annotations?[ServerManifest.requirementsAnnotation]
            .flatMap { try? JSONValue.decode(Data($0.utf8)).arrayValue?.compactMap(\.stringValue) } ?? []
        let created = deployment.metadata.creationTimestamp.flatMap { try? Date($0, strategy: .iso8601) } ?? Date()
        let (phase, message) =
            namespaceTerminating || deployment.metadata.deletionTimestamp != nil
            ? (ServerRecord.Phase.terminating, nil) : try await phase(of: deployment)
        return ServerRecord(
            user: user, digest: deployment.metadata.labels?["digest"] ?? "", requirements: requirements, created: created,
            phase: phase, message: message
        )
    }

    /// Running when the current generation has a ready pod; failed when its pod cannot
    /// start (image, crash loop, configuration); starting otherwise.
    private func phase(of deployment: AppsV1.Deployment) async throws -> (ServerRecord.Phase, String?) {
        let current = (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0)
        if current, (deployment.status?.readyReplicas ?? 0) >= 1 { return (.running, nil) }
        let pods = try await kube.list(
            CoreV1.Pod.self, namespace: deployment.metadata.namespace, labelSelector: "app=\(ServerManifest.deploymentName)")
        let fatal: Set<String> = ["CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "InvalidImageName"]
        for pod in pods {
            for status in pod.status?.containerStatuses ?? [] {
                if let reason = status.state?["waiting"]?["reason"]?.stringValue, fatal.contains(reason) {
                    return (.failed, "\(reason): \(status.state?["waiting"]?["message"]?.stringValue ?? "container cannot start")")
                }
            }
            if pod.status?.phase == "Failed" { return (.failed, "the server pod failed") }
        }
        return (.starting, nil)
    }

    // MARK: Changing

    func create(_ spec: ServerSpec) async throws -> CreateResult {
        let manifest = try await manifest(for: spec)
        try await ensureNamespace(manifest)
        try await apply(manifest.codeConfigMap())
        try await apply(manifest.requirementsConfigMap())
        if settings.networkPolicy { try await apply(manifest.networkPolicy()) }
        if settings.resourceQuota { try await apply(manifest.resourceQuota()) }
        do {
            _ = try await kube.create(manifest.deployment())
            // This spawn's Deployment: now its credential (a concurrent spawn that lost the
            // race must not overwrite the winner's). The pod waits for the Secret to mount.
            try await issueCredential(manifest)
            return .created
        } catch let error as KubernetesError where error.isAlreadyExists {
            guard let existing = try await server(for: spec.user) else {
                throw RuntimeError(kind: .unavailable, message: "the server changed while it was being created; try again")
            }
            return .alreadyExists(existing)
        }
    }

    func replace(_ spec: ServerSpec) async throws {
        let manifest = try await manifest(for: spec)
        try await apply(manifest.codeConfigMap())
        try await apply(manifest.requirementsConfigMap())
        // A new key: the old one stops working before the new pod starts.
        try await issueCredential(manifest)
        let desired = try manifest.deployment().unstructured()
        try await kube.update(.deployments, namespace: manifest.namespace, name: ServerManifest.deploymentName) { current in
            current["metadata"] = Self.overlayMetadata(current["metadata"], desired["metadata"])
            current["spec"] = desired["spec"]
        }
        // Requirements files of earlier digests are no longer mounted by anything.
        let stale = try await kube.list(
            CoreV1.ConfigMap.self, namespace: manifest.namespace, labelSelector: "\(ServerManifest.roleLabel)=requirements,digest!=\(manifest.digest)"
        )
        for configMap in stale {
            try await kube.delete(CoreV1.ConfigMap.self, namespace: manifest.namespace, name: configMap.metadata.name ?? "", ignoreNotFound: true)
        }
    }

    func terminate(_ user: UserKey) async throws -> Bool {
        do {
            // Everything of the user's server lives in this namespace.
            try await kube.delete(.namespaces, name: settings.namespace(for: user), propagation: .background)
            return true
        } catch let error as KubernetesError where error.isNotFound {
            return false
        }
    }

    /// Writes the server's Secret, then registers its public key on the namespace, which
    /// withdraws the previous key at the broker. Both are written without reading them back
    /// (create, else merge patch), so the deploy API needs no right to read Secrets.
    private func issueCredential(_ manifest: ServerManifest) async throws {
        let secret = manifest.credentialSecret()
        do {
            _ = try await kube.create(secret)
        } catch let error as KubernetesError where error.isAlreadyExists {
            let data = JSONValue.object((secret.stringData ?? [:]).mapValues { .string($0) })
            _ = try await kube.patch(.secrets, namespace: manifest.namespace, name: ServerManifest.credentialSecretName, ["stringData": data])
        }
        let annotations = JSONValue.object(manifest.keyRegistration.mapValues { .string($0) })
        _ = try await kube.patch(.namespaces, name: manifest.namespace, ["metadata": ["annotations": annotations]])
    }

    // MARK: Broker

    func brokerEndpoint() async throws -> BrokerEndpoint {
        var endpoint = BrokerEndpoint(host: broker.externalHost, port: broker.externalPort)
        guard endpoint.host == nil || endpoint.port == nil, let serviceName = broker.externalServiceName else { return endpoint }
        let service = try await kube.get(CoreV1.Service.self, namespace: broker.namespace, name: serviceName)
        if endpoint.port == nil {
            endpoint.port = service.spec?.ports?.first(where: { $0.nodePort != nil })?.nodePort
        }
        if endpoint.host == nil {
            endpoint.host = Self.nodeAddress(try await kube.list(CoreV1.Node.self))
        }
        return endpoint
    }

    /// Upstream's choice (docs/specs/rexec.md §5.6): the first node with an address; its first ExternalIP or
    /// InternalIP, whichever is listed first, else its first address.
    static func nodeAddress(_ nodes: [CoreV1.Node]) -> String? {
        for node in nodes {
            let addresses = node.status?.addresses ?? []
            guard let first = addresses.first else { continue }
            return (addresses.first { $0.type == "ExternalIP" || $0.type == "InternalIP" } ?? first).address
        }
        return nil
    }

    var userKeyLength: Int { settings.maxUserKeyLength }

    var readinessChecks: [ReadinessCheck] {
        [
            ReadinessCheck(name: "kubernetes") { [kube, broker] in
                do {
                    _ = try await kube.get(CoreV1.Namespace.self, name: broker.namespace)
                } catch let error as KubernetesError where error.isNotFound {
                    // Reachable and answering; the broker namespace is checked at spawn time.
                }
            }
        ]
    }

    // MARK: Helpers

    /// The objects of a spawn, with a new credential.
    private func manifest(for spec: ServerSpec) async throws -> ServerManifest {
        ServerManifest(
            settings: settings, spec: spec, brokerHost: try await brokerClusterIP(), brokerPort: broker.serverPort,
            brokerNamespace: broker.namespace, heartbeatInterval: heartbeatInterval, serverCode: serverCode,
            credential: try await issuer.issue()
        )
    }

    /// Servers dial the internal Service's ClusterIP, as upstream's pods do.
    private func brokerClusterIP() async throws -> String {
        do {
            let service = try await kube.get(CoreV1.Service.self, namespace: broker.namespace, name: broker.serviceName)
            guard let ip = service.spec?.clusterIP, !ip.isEmpty, ip != "None" else {
                throw RuntimeError(kind: .unavailable, message: "the broker Service \(broker.namespace)/\(broker.serviceName) has no cluster IP")
            }
            return ip
        } catch let error as KubernetesError where error.isNotFound {
            throw RuntimeError(kind: .unavailable, message: "the broker Service \(broker.namespace)/\(broker.serviceName) does not exist")
        }
    }

    /// Creates the namespace, first waiting out a previous one still being deleted.
    private func ensureNamespace(_ manifest: ServerManifest) async throws {
        let name = manifest.namespace
        if let existing = try? await kube.get(CoreV1.Namespace.self, name: name), existing.metadata.deletionTimestamp != nil {
            do {
                try await kube.waitUntil(.namespaces, name: name, timeout: settings.namespaceWaitTimeout) { $0 == nil }
            } catch let error as KubernetesError where error.reason == "Timeout" {
                throw RuntimeError(kind: .unavailable, message: "the previous server of this user is still being removed; try again shortly")
            }
        }
        do {
            _ = try await kube.create(manifest.namespaceObject())
        } catch let error as KubernetesError where error.isAlreadyExists {
        }
    }

    /// The current metadata (resourceVersion, uid…) with the desired labels and annotations laid over it.
    static func overlayMetadata(_ current: JSONValue?, _ desired: JSONValue?) -> JSONValue {
        var fields = current?.objectValue ?? [:]
        for key in ["labels", "annotations"] {
            var merged = fields[key]?.objectValue ?? [:]
            for (name, value) in desired?[key]?.objectValue ?? [:] { merged[name] = value }
            fields[key] = .object(merged)
        }
        return .object(fields)
    }

    /// Create, or replace what is there (keeping its resourceVersion).
    private func apply<Resource: KubernetesResource>(_ object: Resource) async throws {
        do {
            _ = try await kube.create(object)
        } catch let error as KubernetesError where error.isAlreadyExists {
            let desired = try object.unstructured()
            try await kube.update(Resource.descriptor, namespace: object.metadata.namespace, name: object.metadata.name ?? "") { current in
                for (key, value) in desired.fields where key != "metadata" { current[key] = value }
                current["metadata"] = Self.overlayMetadata(current["metadata"], desired["metadata"])
            }
        }
    }
}
