import Essentials
import Foundation
import Kubernetes
import TestFixtures
import TestSupport
import Testing

/// Objects our client builds pass the Kubernetes OpenAPI schemas (PyPI kubernetes-validate,
/// strict: unknown fields are errors), so what works on kube-sim is valid for a real cluster.
@Suite("Kubernetes schemas")
struct SchemaValidationTests {
    static var objects: [any KubernetesResource] {
        let labels = ["app": "rexec-server"]
        var container = CoreV1.Container(
            name: "rexec-server", image: "python:3.12", command: ["python"], env: [.init(name: "REXEC_USER_ID", value: "u")])
        container.resources = .init(requests: ["cpu": "250m", "memory": "512Mi"], limits: ["cpu": "2", "memory": "4Gi"])
        container.volumeMounts = [.init(name: "requirements", mountPath: "/requirements", readOnly: true)]
        container.ports = [.init(containerPort: 22, name: "ssh")]
        var podSpec = CoreV1.PodSpec(containers: [container], restartPolicy: "Always")
        podSpec.automountServiceAccountToken = false
        podSpec.volumes = [["name": "requirements", "configMap": ["name": "requirements"]]]
        return [
            CoreV1.Namespace(metadata: ObjectMeta(name: "rexec-server-u", labels: ["app.kubernetes.io/managed-by": "rexec-deploy-api"])),
            CoreV1.ConfigMap(metadata: ObjectMeta(name: "requirements", namespace: "rexec-server-u"), data: ["requirements.txt": "numpy==2.1\n"]),
            CoreV1.Secret(metadata: ObjectMeta(name: "token"), stringData: ["token": "x"]),
            CoreV1.Pod(metadata: ObjectMeta(name: "p", labels: labels), spec: podSpec),
            CoreV1.Service(
                metadata: ObjectMeta(name: "ssh"),
                spec: .init(type: "NodePort", selector: labels, ports: [.init(name: "ssh", port: 22, targetPort: 22)])),
            CoreV1.PersistentVolume(
                metadata: ObjectMeta(name: "pv"),
                spec: .init(capacity: ["storage": "10Gi"], accessModes: ["ReadWriteMany"], nfs: .init(server: "10.0.0.1", path: "/export/u"))),
            CoreV1.PersistentVolumeClaim(
                metadata: ObjectMeta(name: "pvc"),
                spec: .init(accessModes: ["ReadWriteMany"], storage: "10Gi", volumeName: "pv", storageClassName: "")),
            CoreV1.ResourceQuota(metadata: ObjectMeta(name: "quota"), hard: ["pods": "4", "limits.cpu": "4"]),
            AppsV1.Deployment(
                metadata: ObjectMeta(name: "d", labels: labels),
                spec: .init(selector: .init(matchLabels: labels), template: .init(metadata: ObjectMeta(labels: labels), spec: podSpec))),
            NetworkingV1.Ingress(
                metadata: ObjectMeta(name: "i"),
                spec: .init(
                    ingressClassName: "nginx", tls: [.init(hosts: ["p.example.org"], secretName: "tls")],
                    rules: [.init(host: "p.example.org", paths: [.init(path: "/", service: "p", port: 80)])])),
            NetworkingV1.NetworkPolicy(
                metadata: ObjectMeta(name: "n"),
                spec: .init(
                    podSelector: .init(matchLabels: labels), policyTypes: ["Ingress", "Egress"],
                    egress: [["to": [["ipBlock": ["cidr": "10.96.0.10/32"]]], "ports": [["port": 5560, "protocol": "TCP"]]]])),
        ]
    }

    @Test("every typed object validates against Kubernetes 1.32 in strict mode")
    func validates() async throws {
        let report = try await KubernetesSchemas.validate(Self.objects.map { try $0.unstructured().json })
        #expect(report.passed, "\(report.output)")
        // A broken object is caught, so the check above can fail.
        let broken: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "x"], "spec": ["containers": [["name": "c", "imagee": "typo"]]],
        ]
        #expect(try await !KubernetesSchemas.validate([broken]).passed)
    }
}
