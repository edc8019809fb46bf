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

    /// kube-sim speaks JSON only; kubectl's typed generators (`create namespace`, `create
    /// configmap`) send protobuf and get a clear 415. Manifests (`create -f`, `apply -f`) work.
    @Test("namespaces, errors, and the protobuf limit as kubectl shows them")
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
            let typed = try await kubectl.run(["create", "namespace", "other"])
            #expect(typed.status != 0 && typed.output.contains("UnsupportedMediaType"))
            let value = try await kubectl.run(["-n", "rexec-server-alice", "get", "cm", "reqs", "-o", "jsonpath={.data.requirements\\.txt}"])
            #expect(value.output == "numpy==2.1")
            #expect(try await kubectl.run(["delete", "namespace", "rexec-server-alice"]).status == 0)
            let after = try await kubectl.run(["-n", "rexec-server-alice", "get", "cm", "reqs"])
            #expect(after.status != 0)
            let nodes = try await kubectl.run(["get", "nodes", "-o", "name"])
            #expect(nodes.output.trimmingCharacters(in: .whitespacesAndNewlines) == "node/kube-sim-node-1")
        }
    }
}
