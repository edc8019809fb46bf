import Essentials
import Foundation
import Testing

/// The real `kubectl` against a real kube-sim process: what a developer or operator would
/// type. kubectl must be installed (scripts/install-deps.sh sees to it).
@Suite("kubectl against kube-sim", .serialized)
struct KubectlTests {
    struct Kubectl {
        let configFile: URL
        let cacheDirectory: URL

        init(server: String) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            configFile = directory.appendingPathComponent("config")
            cacheDirectory = directory.appendingPathComponent("cache")
            try """
            apiVersion: v1
            kind: Config
            clusters: [{name: sim, cluster: {server: "\(server)"}}]
            users: [{name: dev, user: {token: dev-token}}]
            contexts: [{name: sim, context: {cluster: sim, user: dev, namespace: default}}]
            current-context: sim
            """.write(to: configFile, atomically: true, encoding: .utf8)
        }

        var environment: [String: String] {
            ["KUBECONFIG": configFile.path, "HOME": cacheDirectory.deletingLastPathComponent().path]
        }

        func run(_ arguments: [String], stdin: String? = nil) async throws -> (status: Int32, output: String) {
            try await ServiceProcess.runTool(
                "kubectl", arguments: ["--cache-dir", cacheDirectory.path] + arguments, environment: environment, stdin: stdin)
        }

        func start(_ arguments: [String]) throws -> ToolProcess {
            try ToolProcess(tool: "kubectl", arguments: ["--cache-dir", cacheDirectory.path] + arguments, environment: environment)
        }
    }

    static let manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 80, nodePort: 30001}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: box, labels: {app: box}}
        spec: {containers: [{name: box, image: "busybox:1.36", command: [sleep, "3600"]}]}
        """

    static func withCluster(_ body: (ServiceProcess, Kubectl) async throws -> Void) async throws {
        let sim = try await ServiceProcess.start("kube-sim", arguments: ["--pod-start-delay", "0.5"])
        let kubectl = try Kubectl(server: sim.baseURL)
        defer { try? FileManager.default.removeItem(at: kubectl.configFile.deletingLastPathComponent()) }
        do {
            try await body(sim, kubectl)
        } catch {
            _ = try? await sim.terminate()
            throw error
        }
        #expect(try await sim.terminate() == 0)
    }

    @Test("apply, re-apply, get -o json, get -w sees Pending → Running, logs, exec, delete")
    func workflow() async throws {
        try await Self.withCluster { sim, kubectl in
            let watch = try kubectl.start(["get", "pods", "-w", "--request-timeout=0"])
            defer { watch.stop() }
            // Apply only once kubectl's watch is open, so it sees the pod from its first state.
            let deadline = ContinuousClock.now + .seconds(30)
            while (try await sim.request(.GET, "/_sim/state").json?["openWatches"] as? Int ?? 0) < 1 {
                guard ContinuousClock.now < deadline else {
                    Issue.record("kubectl's watch never opened:\n\(watch.output)")
                    return
                }
                try await Sleep.for(.milliseconds(10))
            }

            let applied = try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifest)
            #expect(applied.status == 0, "\(applied.output)")
            #expect(
                applied.output.contains("deployment.apps/web created") && applied.output.contains("service/web created")
                    && applied.output.contains("pod/box created"))
            let again = try await kubectl.run(["apply", "-f", "-"], stdin: Self.manifest)
            #expect(again.output.contains("pod/box unchanged"), "\(again.output)")

            // The watch shows the pod Pending, then Running.
            try await watch.waitForOutput(timeout: .seconds(30)) { text in
                text.split(separator: "\n").contains { $0.hasPrefix("box ") && $0.contains("Running") }
            }
            let boxLines = watch.output.split(separator: "\n").filter { $0.hasPrefix("box ") }
            let firstPending = try #require(boxLines.firstIndex { $0.contains("Pending") })
            let firstRunning = try #require(boxLines.firstIndex { $0.contains("Running") })
            #expect(firstPending < firstRunning)

            let listed = try await kubectl.run(["get", "pods", "-o", "json"])
            let list = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any]
            let items = list?["items"] as? [[String: Any]] ?? []
            let names = items.compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
            #expect(names.contains("box") && names.contains { $0.hasPrefix("web-") }, "\(names)")

            let service = try await kubectl.run(["get", "service", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"])
            #expect(service.output == "30001")
            let ready = try await kubectl.run(["rollout", "status", "deployment/web", "--timeout=30s"])
            #expect(ready.status == 0, "\(ready.output)")

            _ = try await sim.request(.POST, "/_sim/namespaces/default/pods/box/logs", body: "hello from box\n")
            let logs = try await kubectl.run(["logs", "box"])
            #expect(logs.status == 0 && logs.output.contains("started container box") && logs.output.contains("hello from box"), "\(logs.output)")

            _ = try await sim.request(.PUT, "/_sim/namespaces/default/pods/box/files?path=/tmp/key", body: "token-from-file")
            let exec = try await kubectl.run(["exec", "box", "--", "cat", "/tmp/key"])
            #expect(exec.status == 0 && exec.output == "token-from-file", "\(exec.output)")
            let failing = try await kubectl.run(["exec", "box", "--", "sh", "-c", "exit 3"])
            #expect(failing.status == 3 && failing.output.contains("command terminated with exit code 3"), "\(failing.output)")

            let deleted = try await kubectl.run(["delete", "pod", "box"])
            #expect(deleted.status == 0 && deleted.output.contains("pod \"box\" deleted"))
            let gone = try await kubectl.run(["get", "pod", "box"])
            #expect(gone.status != 0 && gone.output.contains("NotFound"))
        }
    }

    @Test("namespaces and errors as kubectl shows them")
    func namespacesAndErrors() async throws {
        try await Self.withCluster { _, kubectl in
            let namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: rexec-server-alice}\n"
            let configMap =
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: reqs, namespace: rexec-server-alice}\ndata: {requirements.txt: numpy==2.1}\n"
            let created = try await kubectl.run(["create", "-f", "-"], stdin: namespace)
            #expect(created.status == 0, "\(created.output)")
            let cm = try await kubectl.run(["create", "-f", "-"], stdin: configMap)
            #expect(cm.status == 0, "\(cm.output)")
            let duplicate = try await kubectl.run(["create", "-f", "-"], stdin: configMap)
            #expect(duplicate.status != 0 && duplicate.output.contains("AlreadyExists"), "\(duplicate.output)")
            let value = try await kubectl.run(["-n", "rexec-server-alice", "get", "cm", "reqs", "-o", "jsonpath={.data.requirements\\.txt}"])
            #expect(value.output == "numpy==2.1")
            #expect(try await kubectl.run(["delete", "namespace", "rexec-server-alice"]).status == 0)
            let after = try await kubectl.run(["-n", "rexec-server-alice", "get", "cm", "reqs"])
            #expect(after.status != 0)
            let nodes = try await kubectl.run(["get", "nodes", "-o", "name"])
            #expect(nodes.output.trimmingCharacters(in: .whitespacesAndNewlines) == "node/kube-sim-node-1")
        }
    }

    /// One step of the matrix: a kubectl command and what its output (or the object it left)
    /// must show.
    struct Step: Sendable {
        var arguments: [String]
        var stdin: String?
        var fails = false
        var expect: @Sendable (String) -> Bool

        init(_ arguments: [String], stdin: String? = nil, fails: Bool = false, expect: @escaping @Sendable (String) -> Bool) {
            self.arguments = arguments
            self.stdin = stdin
            self.fails = fails
            self.expect = expect
        }

        init(_ arguments: [String], stdin: String? = nil, output: String) {
            self.init(arguments, stdin: stdin) { $0.trimmingCharacters(in: .whitespacesAndNewlines) == output }
        }

        init(_ arguments: [String], stdin: String? = nil, contains: String...) {
            self.init(arguments, stdin: stdin) { output in contains.allSatisfy(output.contains) }
        }
    }

    static let configMapManifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: matrix}\ndata: {mode: fast}\n"

    /// What people type, in order, each checked: the typed creates (which kubectl sends as
    /// Kubernetes protobuf), client- and server-side apply, every output format, describe,
    /// label/annotate, the three patch types, scale, wait, logs, delete.
    static let matrix: [Step] = [
        Step(["create", "namespace", "matrix"], output: "namespace/matrix created"),
        Step(["-n", "matrix", "create", "secret", "generic", "db", "--from-literal=password=hunter2"], output: "secret/db created"),
        Step(["-n", "matrix", "get", "secret", "db", "-o", "jsonpath={.data.password}"], output: "aHVudGVyMg=="),
        Step(["-n", "matrix", "create", "configmap", "flags", "--from-literal=debug=true"], output: "configmap/flags created"),
        Step(["-n", "matrix", "get", "cm", "flags", "-o", "jsonpath={.data.debug}"], output: "true"),
        Step(["-n", "matrix", "create", "serviceaccount", "robot"], output: "serviceaccount/robot created"),
        Step(
            ["-n", "matrix", "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80"], output: "deployment.apps/web created"),
        Step(
            ["-n", "matrix", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].ports[0].containerPort}"],
            output: "2 80"),
        // An explicit zero survives the protobuf reading (Go pointer field).
        Step(["-n", "matrix", "create", "deployment", "idle", "--image=nginx", "--replicas=0"], output: "deployment.apps/idle created"),
        Step(["-n", "matrix", "get", "deploy", "idle", "-o", "jsonpath={.spec.replicas}"], output: "0"),
        Step(["-n", "matrix", "create", "job", "once", "--image=busybox", "--", "echo", "hi"], output: "job.batch/once created"),
        Step(
            ["-n", "matrix", "get", "job", "once", "-o", "jsonpath={.spec.template.spec.containers[0].command} {.spec.template.spec.restartPolicy}"],
            output: "[\"echo\",\"hi\"] Never"),
        Step(
            ["-n", "matrix", "create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"],
            output: "cronjob.batch/tick created"),
        Step(["-n", "matrix", "get", "cronjob", "tick", "-o", "jsonpath={.spec.schedule}"], output: "*/5 * * * *"),
        Step(["-n", "matrix", "run", "box", "--image=busybox", "--", "sleep", "3600"], output: "pod/box created"),
        Step(["-n", "matrix", "create", "service", "clusterip", "web", "--tcp=80:8080"], output: "service/web created"),
        Step(["apply", "-f", "-"], stdin: configMapManifest, output: "configmap/settings created"),
        Step(["apply", "-f", "-"], stdin: configMapManifest, output: "configmap/settings unchanged"),
        Step(
            ["apply", "--server-side", "-f", "-"], stdin: configMapManifest.replacingOccurrences(of: "fast", with: "safe"),
            output: "configmap/settings serverside-applied"),
        Step(["-n", "matrix", "get", "cm", "settings", "-o", "jsonpath={.data.mode}"], output: "safe"),
        Step(["-n", "matrix", "get", "deploy", "web", "-o", "yaml"], contains: "kind: Deployment", "replicas: 2", "image: nginx:1.27"),
        Step(["-n", "matrix", "get", "deploy", "web", "-o", "json"], contains: "\"kind\": \"Deployment\"", "\"replicas\": 2"),
        Step(["-n", "matrix", "wait", "--for=condition=Available", "deployment/web", "--timeout=30s"], output: "deployment.apps/web condition met"),
        Step(["-n", "matrix", "get", "deploy", "-o", "wide"], contains: "READY", "UP-TO-DATE", "IMAGES", "web", "2/2", "nginx:1.27"),
        Step(["-n", "matrix", "get", "pods", "-o", "wide"], contains: "IP", "NODE", "kube-sim-node-1"),
        Step(["-n", "matrix", "get", "svc", "web"], contains: "ClusterIP", "80/TCP"),
        Step(["-n", "matrix", "describe", "deployment", "web"], contains: "Name:", "web", "Replicas:", "nginx:1.27"),
        Step(["-n", "matrix", "describe", "pod", "box"], contains: "Name:", "box", "busybox"),
        Step(["-n", "matrix", "label", "deployment", "web", "tier=frontend"], output: "deployment.apps/web labeled"),
        Step(["-n", "matrix", "annotate", "deployment", "web", "owner=ops"], output: "deployment.apps/web annotated"),
        Step(
            ["-n", "matrix", "patch", "deployment", "web", "--type", "merge", "-p", "{\"metadata\":{\"labels\":{\"merge\":\"yes\"}}}"],
            output: "deployment.apps/web patched"),
        Step(
            ["-n", "matrix", "patch", "deployment", "web", "-p", "{\"metadata\":{\"labels\":{\"strategic\":\"yes\"}}}"],
            output: "deployment.apps/web patched"),
        Step(
            [
                "-n", "matrix", "patch", "deployment", "web", "--type", "json", "-p",
                "[{\"op\":\"add\",\"path\":\"/metadata/labels/json\",\"value\":\"yes\"}]",
            ],
            output: "deployment.apps/web patched"),
        Step(
            [
                "-n", "matrix", "get", "deploy", "web", "-o",
                "jsonpath={.metadata.labels.tier} {.metadata.annotations.owner} {.metadata.labels.merge} {.metadata.labels.strategic} {.metadata.labels.json}",
            ],
            output: "frontend ops yes yes yes"),
        Step(["-n", "matrix", "scale", "deployment", "web", "--replicas=3"], output: "deployment.apps/web scaled"),
        Step(["-n", "matrix", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"], output: "3"),
        Step(["-n", "matrix", "wait", "--for=condition=Ready", "pod/box", "--timeout=30s"], output: "pod/box condition met"),
        Step(["-n", "matrix", "logs", "box"], contains: "started container box"),
        Step(["-n", "matrix", "delete", "pod", "box", "--wait=false"], output: "pod \"box\" deleted"),
        Step(["-n", "matrix", "wait", "--for=delete", "pod/box", "--timeout=30s"]) { $0.isEmpty || $0.contains("condition met") },
        Step(["-n", "matrix", "delete", "deployment", "web"], output: "deployment.apps \"web\" deleted"),
        Step(["-n", "matrix", "get", "deployment", "web"], fails: true) { $0.contains("NotFound") },
        Step(["delete", "namespace", "matrix"], output: "namespace \"matrix\" deleted"),
    ]

    @Test("the kubectl matrix: typed creates (protobuf), apply both ways, get/describe, label, patch, scale, wait, logs, delete")
    func kubectlMatrix() async throws {
        try await Self.withCluster { _, kubectl in
            for step in Self.matrix {
                let result = try await kubectl.run(step.arguments, stdin: step.stdin)
                let command = "kubectl " + step.arguments.joined(separator: " ")
                #expect((result.status != 0) == step.fails, "\(command) exited \(result.status):\n\(result.output)")
                #expect(step.expect(result.output), "\(command) printed:\n\(result.output)")
            }
        }
    }
}
