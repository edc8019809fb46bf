import Essentials
import Foundation
import Kubernetes
import TestFixtures
import TestSupport
import Testing

@testable import KubeSim

/// The Kubernetes module's client against kube-sim over real HTTP.
@Suite("Kubernetes client")
struct KubernetesClientTests {
    static func client(_ sim: KubeSimFixture) throws -> KubernetesClient {
        try sim.kubernetesClient()
    }

    static func configMap(_ name: String, labels: [String: String] = [:], data: [String: String] = [:]) -> UnstructuredObject {
        UnstructuredObject([
            "metadata": ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))],
            "data": .object(data.mapValues(JSONValue.string)),
        ])
    }

    @Test("waitUntil sees a deletion that races its start: 100 objects deleted as the wait begins, each seen gone")
    func waitUntilRacingDeletion() async throws {
        try await TestCluster.run { cluster in
            let kube = cluster.client
            for index in 0..<100 {
                let name = "racing-\(index)"
                _ = try await kube.create(.configMaps, Self.configMap(name))
                async let gone = kube.waitUntil(.configMaps, name: name, timeout: .seconds(10)) { $0 == nil }
                try await kube.delete(.configMaps, name: name)
                #expect(try await gone == nil)
            }
        }
    }

    @Test("a delete with preconditions: refused with 409 once the object changed or is another one; of two racing deleters one wins")
    func deletePreconditions() async throws {
        try await TestCluster.run { cluster in
            let kube = cluster.client
            let seen = try await kube.create(.configMaps, Self.configMap("guarded"))
            _ = try await kube.patch(.configMaps, name: "guarded", ["data": ["changed": "yes"]])
            await #expect(throws: KubernetesError.self) {
                try await kube.delete(.configMaps, name: "guarded", preconditions: DeletePreconditions(seen))
            }
            await #expect(throws: KubernetesError.self) {
                try await kube.delete(.configMaps, name: "guarded", preconditions: DeletePreconditions(uid: "another-uid"))
            }
            let current = try await kube.get(.configMaps, name: "guarded")
            // Two deleters that saw the same version: exactly one succeeds.
            async let first: Bool = (try? await kube.delete(.configMaps, name: "guarded", preconditions: DeletePreconditions(current))) != nil
            async let second: Bool = (try? await kube.delete(.configMaps, name: "guarded", preconditions: DeletePreconditions(current))) != nil
            let outcomes = [await first, await second]
            #expect(outcomes.filter { $0 }.count == 1, "\(outcomes)")
            #expect(try await kube.list(.configMaps).items.allSatisfy { $0.name != "guarded" })
        }
    }

    @Test("create, get, patch, replace, delete; unknown fields round-trip; Status errors decode")
    func verbs() async throws {
        try await TestCluster.run { cluster in
            let kube = cluster.client
            var manifest = Self.configMap("settings", data: ["a": "1"])
            manifest["x-unknown"] = ["nested": [1, 2]]
            let created = try await kube.create(.configMaps, manifest)
            #expect(created["x-unknown"] == ["nested": [1, 2]])
            #expect(created.uid != nil && created.namespace == cluster.namespace)

            let fetched = try await kube.get(.configMaps, name: "settings")
            #expect(fetched == created)

            let patched = try await kube.patch(.configMaps, name: "settings", ["data": ["b": "2"]])
            #expect(patched["data"] == ["a": "1", "b": "2"])

            var stale = created
            stale["data"] = ["stale": "yes"]
            await #expect { try await kube.replace(.configMaps, stale) } throws: { ($0 as? KubernetesError)?.isConflict == true }
            var fresh = patched
            fresh["data"] = ["fresh": "yes"]
            #expect(try await kube.replace(.configMaps, fresh)["data"] == ["fresh": "yes"])

            await #expect { try await kube.create(.configMaps, Self.configMap("settings")) } throws: {
                ($0 as? KubernetesError)?.isAlreadyExists == true
            }
            await #expect { try await kube.create(.configMaps, Self.configMap("Bad_Name")) } throws: { ($0 as? KubernetesError)?.isInvalid == true }

            try await kube.delete(.configMaps, name: "settings")
            await #expect { try await kube.get(.configMaps, name: "settings") } throws: { error in
                guard let error = error as? KubernetesError else { return false }
                return error.isNotFound && error.message == "configmaps \"settings\" not found"
            }
            try await kube.delete(.configMaps, name: "settings", ignoreNotFound: true)
        }
    }

    @Test("list with selectors, and listAll through continue tokens")
    func listing() async throws {
        try await TestCluster.run { cluster in
            let kube = cluster.client
            for index in 0..<5 {
                _ = try await kube.create(.configMaps, Self.configMap("cm\(index)", labels: ["tier": index < 3 ? "a+b" : "c"]))
            }
            let selected = try await kube.list(.configMaps, labelSelector: "tier in (a+b)")
            #expect(selected.items.compactMap(\.name) == ["cm0", "cm1", "cm2"])
            let page = try await kube.list(.configMaps, limit: 2)
            #expect(page.items.count == 2 && page.continueToken != nil)
            let all = try await kube.listAll(.configMaps, pageSize: 2)
            #expect(all.items.compactMap(\.name).filter { $0.hasPrefix("cm") } == (0..<5).map { "cm\($0)" })
            let byField = try await kube.list(.configMaps, fieldSelector: "metadata.name=cm4")
            #expect(byField.items.compactMap(\.name) == ["cm4"])
        }
    }

    @Test("a watch from a too-old resourceVersion is Gone")
    func watchGone() async throws {
        var settings = KubeSimFixture.apiServerOnly
        settings.historyLimit = 1
        try await KubeSimFixture.run(settings: settings) { sim in
            let kube = try Self.client(sim)
            let start = try await kube.list(.configMaps).resourceVersion
            for index in 0..<3 { _ = try await kube.create(.configMaps, Self.configMap("c\(index)")) }
            await #expect {
                for try await _ in kube.watch(.configMaps, resourceVersion: start) {}
            } throws: { ($0 as? KubernetesError)?.isGone == true }
        }
    }

    /// Collects events until `count` have arrived.
    actor Collected {
        var events: [KubernetesWatchEvent] = []
        func add(_ event: KubernetesWatchEvent) { events.append(event) }
        var summary: [String] { events.map { "\($0.kind.rawValue) \($0.object.name ?? "")" } }
    }

    /// Consumes `events(.configMaps)` in the background; returns once the initial state
    /// (`initialCount` events) has arrived and the watch is open.
    static func collectEvents(_ kube: KubernetesClient, _ sim: KubeSimFixture, initialCount: Int) async throws -> (Collected, Task<Void, any Error>) {
        let collected = Collected()
        let consumer = Task {
            for try await event in kube.events(.configMaps) { await collected.add(event) }
        }
        try await waitUntil("the initial state arrives and the watch is open") {
            let watches = await sim.simulator.store.openWatches
            return await collected.events.count == initialCount && watches == 1
        }
        return (collected, consumer)
    }

    @Test("events() resumes after the server drops the watch, without gaps or repeats")
    func resumeAfterDrop() async throws {
        try await KubeSimFixture.run { sim in
            let kube = try Self.client(sim)
            _ = try await kube.create(.configMaps, Self.configMap("before"))
            let (collected, consumer) = try await Self.collectEvents(kube, sim, initialCount: 1)
            defer { consumer.cancel() }
            #expect(await collected.summary == ["ADDED before"])
            await sim.simulator.store.beginWatchOutage()
            _ = try await kube.create(.configMaps, Self.configMap("during"))
            await sim.simulator.store.endWatchOutage(expired: false)
            _ = try await kube.create(.configMaps, Self.configMap("after"))
            try await waitUntil("events after the drop arrive") { await collected.events.count >= 3 }
            #expect(await collected.summary == ["ADDED before", "ADDED during", "ADDED after"])
            #expect(await sim.simulator.store.listRequests == 1)  // resumed from its resourceVersion, no re-list
        }
    }

    @Test("events() lists again on 410 and reports what changed, deletions included")
    func relistOnGone() async throws {
        try await KubeSimFixture.run { sim in
            let kube = try Self.client(sim)
            _ = try await kube.create(.configMaps, Self.configMap("stays"))
            _ = try await kube.create(.configMaps, Self.configMap("goes"))
            let (collected, consumer) = try await Self.collectEvents(kube, sim, initialCount: 2)
            defer { consumer.cancel() }
            await sim.simulator.store.beginWatchOutage()
            try await kube.delete(.configMaps, name: "goes")
            _ = try await kube.create(.configMaps, Self.configMap("new"))
            _ = try await kube.patch(.configMaps, name: "stays", ["data": ["k": "v"]])
            await sim.simulator.store.endWatchOutage(expired: true)
            try await waitUntil("the re-list's differences arrive") { await collected.events.count >= 5 }
            let relisted = Array(await collected.summary.dropFirst(2))
            #expect(Set(relisted) == ["ADDED new", "MODIFIED stays", "DELETED goes"])
            #expect(await sim.simulator.store.listRequests == 2)
        }
    }

    @Test("waitUntil: a pod becomes Ready, then its deletion is awaited")
    func waitUntilReady() async throws {
        var settings = KubeSimulator.Settings()
        settings.simulation.podStartDelay = .milliseconds(100)
        try await KubeSimFixture.run(settings: settings) { sim in
            let kube = try Self.client(sim)
            _ = try await kube.create(.pods, UnstructuredObject(KubeSimFixture.pod("waiter").objectValue!))
            let ready = try await kube.waitUntil(.pods, name: "waiter", timeout: .seconds(30)) { pod in
                pod?["status"]?["conditions"]?.arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } ?? false
            }
            #expect(ready?["status"]?["phase"] == "Running")
            try await kube.delete(.pods, name: "waiter")
            let gone = try await kube.waitUntil(.pods, name: "waiter", timeout: .seconds(30)) { $0 == nil }
            #expect(gone == nil)
            await #expect { try await kube.waitUntil(.pods, name: "never", timeout: .milliseconds(200)) { $0 != nil } } throws: {
                ($0 as? KubernetesError)?.reason == "Timeout"
            }
        }
    }

    @Test("pod logs")
    func logs() async throws {
        try await KubeSimFixture.run { sim in
            let kube = try Self.client(sim)
            _ = try await kube.create(.pods, UnstructuredObject(KubeSimFixture.pod("talker").objectValue!))
            await sim.simulator.pods.appendLog(namespace: "default", name: "talker", "line 1\nline 2\n")
            #expect(try await kube.logs(pod: "talker") == "line 1\nline 2\n")
        }
    }

    @Test("followed pod logs: what was logged, then each addition as it comes, until the pod ends")
    func followedLogs() async throws {
        try await KubeSimFixture.run { sim in
            let kube = try Self.client(sim)
            _ = try await kube.create(.pods, UnstructuredObject(KubeSimFixture.pod("talker").objectValue!))
            await sim.simulator.pods.appendLog(namespace: "default", name: "talker", "before\n")
            var chunks = kube.followLogs(pod: "talker").makeAsyncIterator()
            var received = ""
            while !received.contains("before\n") { received += String(buffer: try #require(try await chunks.next())) }
            // The stream stays open for what the pod logs next…
            await sim.simulator.pods.appendLog(namespace: "default", name: "talker", "after\n")
            while !received.contains("after\n") { received += String(buffer: try #require(try await chunks.next())) }
            // …and ends when the pod does.
            _ = try await kube.patch(.pods, name: "talker", ["status": ["phase": "Succeeded"]], subresource: "status")
            while let chunk = try await chunks.next() { received += String(buffer: chunk) }
            #expect(received == "before\nafter\n")
            await #expect { for try await _ in kube.followLogs(pod: "nobody") {} } throws: { ($0 as? KubernetesError)?.isNotFound == true }
        }
    }
}

@Suite("Kubernetes client: conflicts")
struct KubernetesConflictTests {
    @Test("update retries on 409 Conflict and applies every concurrent change")
    func concurrentUpdates() async throws {
        try await TestCluster.run { cluster in
            let kube = cluster.client
            _ = try await kube.create(.configMaps, KubernetesClientTests.configMap("counter", data: ["n": "0"]))
            // Ten writers increment the same counter; without retries most would fail.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await kube.update(.configMaps, name: "counter", attempts: 50) { object in
                            let current = Int(object["data"]?["n"]?.stringValue ?? "0") ?? 0
                            object["data"] = ["n": .string(String(current + 1))]
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await kube.get(.configMaps, name: "counter")["data"]?["n"] == "10")
        }
    }

    @Test("update gives up after its attempts with the Conflict")
    func givesUp() async throws {
        try await KubeSimFixture.run { sim in
            let kube = try KubernetesClientTests.client(sim)
            _ = try await kube.create(.configMaps, KubernetesClientTests.configMap("contended"))
            await #expect {
                try await kube.update(.configMaps, name: "contended", attempts: 2) { object in
                    // Someone else writes between our read and our write, every time.
                    object["data"] = ["mine": "yes"]
                    let store = sim.simulator.store
                    let type = ResourceRegistry.standard.type(group: "", version: "v1", plural: "configmaps")!
                    _ = try await store.patch(type, namespace: "default", name: "contended", patch: ["data": ["theirs": "yes"]], kind: .merge)
                }
            } throws: { ($0 as? KubernetesError)?.isConflict == true }
        }
    }
}

@Suite("Kubernetes client: typed models")
struct TypedModelTests {
    @Test("a typed Deployment, Service and ConfigMap round-trip; the deployment's pods become Ready")
    func typedRoundTrip() async throws {
        try await TestCluster.run { cluster in
            let kube = cluster.client
            let labels = ["app": "rexec-server"]
            let container = CoreV1.Container(
                name: "rexec-server", image: "python:3.12", command: ["python", "-m", "rexec_server"],
                env: [.init(name: "REXEC_USER_ID", value: "u-1")])
            let deployment = AppsV1.Deployment(
                metadata: ObjectMeta(name: "rexec-server", labels: labels),
                spec: .init(
                    selector: .init(matchLabels: labels), template: .init(metadata: ObjectMeta(labels: labels), spec: .init(containers: [container])))
            )
            let created = try await kube.create(deployment)
            #expect(created.metadata.uid != nil && created.spec?.template.spec.containers.first?.env == [.init(name: "REXEC_USER_ID", value: "u-1")])

            let service = try await kube.create(
                CoreV1.Service(
                    metadata: ObjectMeta(name: "broker-internal"),
                    spec: .init(selector: labels, ports: [.init(name: "server", port: 5560, targetPort: 5560)])
                ))
            #expect(service.spec?.clusterIP != nil && service.spec?.type == "ClusterIP")

            _ = try await kube.create(CoreV1.ConfigMap(metadata: ObjectMeta(name: "requirements"), data: ["requirements.txt": "numpy==2.1\n"]))
            #expect(try await kube.get(CoreV1.ConfigMap.self, name: "requirements").data == ["requirements.txt": "numpy==2.1\n"])

            try await kube.waitUntil(.deployments, name: "rexec-server", timeout: cluster.isReal ? .seconds(300) : .seconds(10)) { object in
                guard let object, let typed = try? AppsV1.Deployment(object) else { return false }
                return typed.status?.readyReplicas == 1
            }
            let pods = try await kube.list(CoreV1.Pod.self, labelSelector: "app=rexec-server")
            #expect(pods.count == 1 && pods.allSatisfy(\.isReady))
            #expect(pods.first?.metadata.ownerReferences?.first?.uid == created.metadata.uid)
        }
    }
}
