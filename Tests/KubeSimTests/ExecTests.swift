import Foundation
import Kubernetes
import TestFixtures
import Testing

@testable import KubeSim

/// Pod exec over WebSocket: kube-sim's channel protocol and the client's reading of it.
@Suite("pod exec")
struct ExecTests {
    static func runningPod(_ sim: KubeSimFixture, _ kube: KubernetesClient, name: String = "box") async throws {
        _ = try await kube.create(.pods, UnstructuredObject(KubeSimFixture.pod(name).objectValue!))
        try await kube.waitUntil(.pods, name: name, timeout: .seconds(10)) { $0?["status"]?["phase"] == "Running" }
    }

    static var simulated: KubeSimulator.Settings {
        var settings = KubeSimulator.Settings()
        settings.simulation.podStartDelay = .milliseconds(20)
        return settings
    }

    @Test("stdout, stderr and exit codes come back separately")
    func channels() async throws {
        try await KubeSimFixture.run(settings: Self.simulated) { sim in
            let kube = try KubernetesClientTests.client(sim)
            try await Self.runningPod(sim, kube)
            await sim.simulator.pods.setFile(namespace: "default", name: "box", path: "/tmp/key", contents: "s3cr3t")

            let cat = try await kube.exec(pod: "box", command: ["cat", "/tmp/key"])
            #expect(cat == ExecResult(stdout: Array("s3cr3t".utf8), stderr: [], exitCode: 0))

            let missing = try await kube.exec(pod: "box", command: ["cat", "/tmp/nope"])
            #expect(missing.stdout.isEmpty && missing.stderrText == "cat: /tmp/nope: No such file or directory\n" && missing.exitCode == 1)

            #expect(try await kube.exec(pod: "box", command: ["sh", "-c", "exit 3"]).exitCode == 3)
            #expect(try await kube.exec(pod: "box", command: ["python3", "x.py"]).exitCode == 127)
            #expect(try await kube.exec(pod: "box", command: ["echo", "a b", "c"]).stdoutText == "a b c\n")
            let capped = try await kube.exec(pod: "box", command: ["cat", "/tmp/key"], maxOutputBytes: 3)
            #expect(capped.stdoutText == "s3c")
        }
    }

    @Test("exec into a missing pod, a wrong container or a pod that is not running fails clearly")
    func failures() async throws {
        try await KubeSimFixture.run(settings: Self.simulated) { sim in
            let kube = try KubernetesClientTests.client(sim)
            await #expect { try await kube.exec(pod: "ghost", command: ["true"]) } throws: { ($0 as? KubernetesError)?.isNotFound == true }
            try await Self.runningPod(sim, kube)
            await #expect { try await kube.exec(pod: "box", container: "sidecar", command: ["true"]) } throws: { error in
                (error as? KubernetesError)?.message.contains("container sidecar is not valid") == true
            }
            var stuck = KubeSimFixture.pod("stuck")
            stuck = .object((stuck.objectValue ?? [:]).merging(["spec": ["containers": [["name": "c", "image": "never-ready:1"]]]]) { $1 })
            _ = try await kube.create(.pods, UnstructuredObject(stuck.objectValue!))
            await #expect { try await kube.exec(pod: "stuck", command: ["true"]) } throws: { error in
                (error as? KubernetesError)?.message.contains("container not found") == true
            }
        }
    }

    @Test("the shell splits sh -c strings with quotes")
    func shellSplitting() {
        #expect(FakeShell.split(#"cat '/tmp/a b' "x y" z"#) == ["cat", "/tmp/a b", "x y", "z"])
        #expect(FakeShell(files: ["/tmp/k": "0123456789"]).run(["head", "-c", "4", "/tmp/k"]).stdout == "0123")
        #expect(FakeShell(files: ["/tmp/a": "", "/tmp/b/c": ""]).run(["ls", "/tmp"]).stdout == "a\nb\n")
    }
}
