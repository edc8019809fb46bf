import BrokerWire
import Essentials
import Foundation
import Kubernetes

/// The Kubernetes objects of one user's rexec server, in its own namespace:
/// the namespace (Pod Security "restricted"; its annotations register the server's CURVE
/// public key for the broker), a ConfigMap with the server's code, one with the
/// requirements (named by digest), the Secret with the server's credential (mounted by this
/// pod only), the Deployment (upstream's name and labels), an egress-only NetworkPolicy and,
/// if asked, a ResourceQuota.
///
/// The pod installs the requirements from the mounted file with `pip install -r` into a
/// virtual environment on an `emptyDir`: nothing the user sent is ever part of a command.
struct ServerManifest: Sendable {
    static let deploymentName = "rexec-server"
    static let codeConfigMapName = "rexec-server-code"
    static let credentialSecretName = "rexec-server-credentials"
    /// On the pod template: the public key the pod's credential has, so a new credential
    /// rolls the pod even when nothing else changed.
    static let credentialAnnotation = ServerKeyRegistration.publicKeyAnnotation
    static let networkPolicyName = "rexec-server"
    static let quotaName = "rexec-server"
    static let managedBy = ["app.kubernetes.io/managed-by": "rexec-deploy-api"]
    static let userLabel = "rexec.ndp/user"
    static let roleLabel = "rexec.ndp/role"
    static let subAnnotation = ServerKeyRegistration.subAnnotation
    static let requirementsAnnotation = "rexec.ndp/requirements"
    static let mountRoot = "/opt/rexec"

    let settings: KubernetesRuntimeSettings
    let spec: ServerSpec
    /// Where the pod reaches the broker (the internal Service's ClusterIP, as upstream).
    let brokerHost: String
    let brokerPort: Int
    let brokerNamespace: String
    let heartbeatInterval: Int
    /// The rexec server's files (``ServerCode/files``), shipped in the code ConfigMap.
    let serverCode: [String: String]
    /// The credential this server gets.
    let credential: ServerCredential

    var namespace: String { settings.namespace(for: spec.user) }
    var digest: String { spec.requirements.digest }
    var requirementsConfigMapName: String { "rexec-requirements-\(digest.prefix(12))" }

    private var userLabels: [String: String] {
        Self.managedBy.merging([Self.userLabel: spec.user.value]) { $1 }
    }

    /// Without the key registration: that is written once the server's Deployment is
    /// known to be this spawn's (``keyRegistration``).
    func namespaceObject() -> CoreV1.Namespace {
        var labels = userLabels
        // Every pod here must meet the "restricted" Pod Security Standard.
        labels["pod-security.kubernetes.io/enforce"] = "restricted"
        return CoreV1.Namespace(metadata: ObjectMeta(name: namespace, labels: labels, annotations: [Self.subAnnotation: spec.user.sub]))
    }

    /// The namespace annotations the broker admits this server's key by.
    var keyRegistration: [String: String] {
        [Self.subAnnotation: spec.user.sub, ServerKeyRegistration.publicKeyAnnotation: credential.keys.publicKey]
    }

    func credentialSecret() -> CoreV1.Secret {
        var labels = userLabels
        labels[Self.roleLabel] = "credential"
        return CoreV1.Secret(
            metadata: ObjectMeta(name: Self.credentialSecretName, namespace: namespace, labels: labels), stringData: credential.files(for: spec.user))
    }

    /// The rexec server's Python package and its pinned dependencies.
    func codeConfigMap() -> CoreV1.ConfigMap {
        var labels = userLabels
        labels[Self.roleLabel] = "code"
        return CoreV1.ConfigMap(metadata: ObjectMeta(name: Self.codeConfigMapName, namespace: namespace, labels: labels), data: serverCode)
    }

    func requirementsConfigMap() -> CoreV1.ConfigMap {
        var labels = userLabels
        labels[Self.roleLabel] = "requirements"
        labels["digest"] = digest
        return CoreV1.ConfigMap(
            metadata: ObjectMeta(name: requirementsConfigMapName, namespace: namespace, labels: labels),
            data: ["requirements.txt": spec.requirements.pipRequirementsFile]
        )
    }

    func networkPolicy() -> NetworkingV1.NetworkPolicy {
        let dnsPorts: [JSONValue] = [["protocol": "UDP", "port": 53], ["protocol": "TCP", "port": 53]]
        var egress: [JSONValue] = [
            [
                "to": [["namespaceSelector": ["matchLabels": ["kubernetes.io/metadata.name": .string(brokerNamespace)]]]],
                "ports": [["protocol": "TCP", "port": .number(Double(brokerPort))]],
            ],
            ["to": [["namespaceSelector": [:]]], "ports": .array(dnsPorts)],
        ]
        egress += settings.egressCIDRs.map { ["to": [["ipBlock": ["cidr": .string($0)]]]] }
        return NetworkingV1.NetworkPolicy(
            metadata: ObjectMeta(name: Self.networkPolicyName, namespace: namespace, labels: userLabels),
            // No ingress rule: nothing may connect to the server; it dials out to the broker.
            spec: .init(podSelector: LabelSelectorSpec(matchLabels: [:]), policyTypes: ["Ingress", "Egress"], ingress: [], egress: egress)
        )
    }

    func resourceQuota() -> CoreV1.ResourceQuota {
        var hard = ["pods": "2"]
        for (resource, value) in settings.requests { hard["requests.\(resource)"] = value }
        for (resource, value) in settings.limits { hard["limits.\(resource)"] = value }
        return CoreV1.ResourceQuota(metadata: ObjectMeta(name: Self.quotaName, namespace: namespace, labels: userLabels), hard: hard)
    }

    func deployment() -> AppsV1.Deployment {
        let podLabels = userLabels.merging(["app": Self.deploymentName, "digest": digest]) { $1 }
        let annotations = [
            Self.subAnnotation: spec.user.sub,
            Self.requirementsAnnotation: String(decoding: JSONValue.array(spec.requirements.lines.map(JSONValue.string)).encoded(), as: UTF8.self),
        ]
        var deployment = AppsV1.Deployment(
            metadata: ObjectMeta(name: Self.deploymentName, namespace: namespace, labels: podLabels, annotations: annotations),
            spec: .init(
                replicas: 1, selector: LabelSelectorSpec(matchLabels: ["app": Self.deploymentName]),
                template: .init(
                    metadata: ObjectMeta(
                        labels: podLabels, annotations: [Self.subAnnotation: spec.user.sub, Self.credentialAnnotation: credential.keys.publicKey]),
                    spec: podSpec())
            )
        )
        // One server per identity: the old pod goes before the new one starts.
        deployment.spec?.strategy = ["type": "Recreate"]
        return deployment
    }

    private func podSpec() -> CoreV1.PodSpec {
        var container = CoreV1.Container(
            name: settings.containerName,
            image: settings.imageTemplate.replacingOccurrences(of: "{python}", with: spec.requirements.pythonVersion),
            command: ["/bin/sh", "-c", Self.startScript],
            env: [
                .init(name: "REXEC_USER_ID", value: spec.user.sub),
                .init(name: "REXEC_BROKER_HOST", value: brokerHost),
                .init(name: "REXEC_BROKER_PORT", value: String(brokerPort)),
                .init(name: "REXEC_HEARTBEAT_INTERVAL", value: String(heartbeatInterval)),
                .init(name: "PYTHONPATH", value: "\(Self.mountRoot)/server"),
                .init(name: "PYTHONUNBUFFERED", value: "1"),
                .init(name: "PIP_DISABLE_PIP_VERSION_CHECK", value: "1"),
                .init(name: "HOME", value: "/work"),
                .init(name: ServerCredential.directoryVariable, value: "\(Self.mountRoot)/credentials"),
            ]
        )
        container.imagePullPolicy = settings.imagePullPolicy
        container.resources = .init(requests: settings.requests, limits: settings.limits)
        container.securityContext = [
            "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
            "capabilities": ["drop": ["ALL"]],
        ]
        container.volumeMounts = [
            .init(name: "work", mountPath: "/work"),
            .init(name: "tmp", mountPath: "/tmp"),
            .init(name: "code", mountPath: "\(Self.mountRoot)/server", readOnly: true),
            .init(name: "requirements", mountPath: "\(Self.mountRoot)/requirements", readOnly: true),
            .init(name: "credentials", mountPath: "\(Self.mountRoot)/credentials", readOnly: true),
        ]
        // Ready once the packages are installed and the server process has been started.
        container.readinessProbe = ["exec": ["command": ["cat", "/work/installed"]], "periodSeconds": 5]

        var pod = CoreV1.PodSpec(containers: [container], restartPolicy: "Always")
        pod.automountServiceAccountToken = false
        pod.enableServiceLinks = false
        pod.securityContext = [
            "runAsNonRoot": true, "runAsUser": .number(Double(settings.runAsUser)), "runAsGroup": .number(Double(settings.runAsUser)),
            "fsGroup": .number(Double(settings.runAsUser)), "seccompProfile": ["type": "RuntimeDefault"],
        ]
        let codeItems: [JSONValue] = serverCode.keys.sorted().map { key in
            ["key": .string(key), "path": .string(key == "requirements.txt" ? "server-requirements.txt" : "rexec_server/\(key)")]
        }
        pod.volumes = [
            ["name": "work", "emptyDir": ["sizeLimit": .string(settings.limits["ephemeral-storage"] ?? "2Gi")]],
            ["name": "tmp", "emptyDir": ["sizeLimit": "256Mi"]],
            ["name": "code", "configMap": ["name": .string(Self.codeConfigMapName), "items": .array(codeItems)]],
            ["name": "requirements", "configMap": ["name": .string(requirementsConfigMapName)]],
            // Readable by the pod's user only (its group is the pod's fsGroup, which is that user).
            ["name": "credentials", "secret": ["secretName": .string(Self.credentialSecretName), "defaultMode": 0o440]],
        ]
        pod.terminationGracePeriodSeconds = 10
        return pod
    }

    /// Fixed text: the only inputs are the mounted files and the environment above. The
    /// environment sees the image's own packages: on the rexec-server image (docker/) the
    /// server's pinned pyzmq and dill are there already, so pip fetches only the user's.
    static let startScript = """
        set -eu
        python -m venv --system-site-packages /work/venv
        /work/venv/bin/pip install --no-cache-dir -r \(mountRoot)/server/server-requirements.txt -r \(mountRoot)/requirements/requirements.txt
        touch /work/installed
        exec /work/venv/bin/python -m rexec_server "$REXEC_BROKER_HOST" --broker_port "$REXEC_BROKER_PORT" --heartbeat_interval "$REXEC_HEARTBEAT_INTERVAL"
        """
}
