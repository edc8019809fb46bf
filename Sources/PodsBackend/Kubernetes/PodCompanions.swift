import Essentials
import Kubernetes

/// What a pod gets beside it (docs/specs/pods-backend.md §2.3.3 steps 4-5): a NodePort Service for
/// ssh when a container exposes 22, and a Service plus TLS Ingress on
/// `<pod>.<ingressDomain>` when the manifest sets `sciencedata.dk/ingress-port`. Each is
/// owned by the pod, so Kubernetes removes them with it; upstream's `createdForPod` label
/// stays, so upstream's cleanup (and ours for legacy objects) still finds them.
struct PodCompanions: Sendable {
    let cluster: PodsCluster
    let ingressDomain: String
    let wildcardSecret: String
    let ingressClassName: String?

    static func needsSSH(_ pod: UnstructuredObject) -> Bool {
        pod.containers.contains { container in
            (container["ports"]?.arrayValue ?? []).contains { $0["containerPort"]?.doubleValue == 22 }
        }
    }

    /// The ingress port, when the annotation holds an integer (anything else: no ingress).
    static func ingressPort(_ pod: UnstructuredObject) -> Int? {
        pod.annotations[PodTemplate.Keys.ingressPort].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap {
            (1...65535).contains($0) ? $0 : nil
        }
    }

    /// Creates the missing companions; errors are returned, not ignored as upstream did (docs/specs/pods-backend.md W16):
    /// a pod reported ready has its ssh Service and Ingress.
    func ensure(for pod: UnstructuredObject) async throws {
        guard let name = pod.name else { return }
        if Self.needsSSH(pod) {
            try await cluster.createIfAbsent(
                .services, service(ResourceNames.sshService(pod: name), pod: pod, type: "NodePort", port: 22, portName: "ssh"))
        }
        if let port = Self.ingressPort(pod) {
            try await cluster.createIfAbsent(
                .services, service(ResourceNames.httpService(pod: name), pod: pod, type: "ClusterIP", port: port, portName: "http"))
            try await cluster.createIfAbsent(.ingresses, ingress(for: pod, port: port))
        }
    }

    private func metadata(_ name: String, pod: UnstructuredObject) -> JSONValue {
        var labels = pod.owner?.labels ?? [:]
        labels[PodTemplate.Keys.createdForPod] = pod.name ?? ""
        return [
            "name": .string(name), "namespace": .string(cluster.namespace),
            "labels": .object(labels.mapValues(JSONValue.string)),
            "ownerReferences": [PodsCluster.ownerReference(to: pod)],
        ]
    }

    func service(_ name: String, pod: UnstructuredObject, type: String, port: Int, portName: String) -> JSONValue {
        // Upstream selected on the pod's labels; ours include the state, which changes, so
        // the selector is the identifying three.
        let selector = pod.labels.filter { ["user", "domain", PodTemplate.Keys.podName].contains($0.key) }
        return [
            "metadata": metadata(name, pod: pod),
            "spec": [
                "type": .string(type),
                "selector": .object(selector.mapValues(JSONValue.string)),
                "ports": [["name": .string(portName), "protocol": "TCP", "port": .number(Double(port)), "targetPort": .number(Double(port))]],
            ],
        ]
    }

    func ingress(for pod: UnstructuredObject, port: Int) -> JSONValue {
        let name = pod.name ?? ""
        let host = "\(name).\(ingressDomain)"
        var spec: JSONValue = [
            "tls": [["hosts": [.string(host)], "secretName": .string(wildcardSecret)]],
            "rules": [
                [
                    "host": .string(host),
                    "http": [
                        "paths": [
                            [
                                "path": "/", "pathType": "Prefix",
                                "backend": [
                                    "service": ["name": .string(ResourceNames.httpService(pod: name)), "port": ["number": .number(Double(port))]]
                                ],
                            ]
                        ]
                    ],
                ]
            ],
        ]
        if let ingressClassName { spec["ingressClassName"] = .string(ingressClassName) }
        return ["metadata": metadata(ResourceNames.ingress(pod: name), pod: pod), "spec": spec]
    }

    /// The NodePort of each pod's ssh Service (`<pod>-ssh`, port with targetPort 22).
    func sshPorts(pods: [String]) async throws -> [String: String] {
        guard !pods.isEmpty else { return [:] }
        let services = try await cluster.list(.services, labelSelector: "\(PodTemplate.Keys.createdForPod) in (\(pods.joined(separator: ",")))")
        var ports: [String: String] = [:]
        for service in services {
            guard let pod = service.labels[PodTemplate.Keys.createdForPod], service.name == ResourceNames.sshService(pod: pod) else { continue }
            if let nodePort = Self.sshNodePort(service) { ports[pod] = nodePort }
        }
        return ports
    }

    /// The NodePort of an ssh Service's port 22.
    static func sshNodePort(_ service: UnstructuredObject) -> String? {
        let port = (service["spec"]?["ports"]?.arrayValue ?? []).first { $0["targetPort"]?.scalarDescription == "22" }
        return port?["nodePort"]?.scalarDescription
    }

    /// Upstream's objects had no owner: after their pod is gone they are removed by label.
    func deleteLegacy(forPod pod: String) async throws {
        let selector = "\(PodTemplate.Keys.createdForPod)=\(pod)"
        for resource in [ResourceDescriptor.services, .ingresses, .secrets] {
            for object in try await cluster.list(resource, labelSelector: selector) {
                if let name = object.name { try await cluster.delete(resource, name) }
            }
        }
    }
}
