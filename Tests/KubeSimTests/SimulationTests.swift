import Essentials
import Foundation
import Kubernetes
import TestFixtures
import TestSupport
import Testing

@testable import KubeSim

/// The simulated scheduler, kubelet and controllers, observed through watches.
@Suite("kube-sim simulation")
struct SimulationTests {
    static let registry = ResourceRegistry.standard
    static func type(_ group: String, _ plural: String) -> ResourceType { registry.types.first { $0.group == group && $0.plural == plural }! }
    static let pods = type("", "pods")
    static let services = type("", "services")
    static let deployments = type("apps", "deployments")
    static let volumes = type("", "persistentvolumes")
    static let claims = type("", "persistentvolumeclaims")

    static func cluster(startDelay: Duration = .milliseconds(50)) async throws -> KubeSimulator {
        var settings = KubeSimulator.Settings()
        settings.simulation.podStartDelay = startDelay
        let simulator = KubeSimulator(settings: settings)
        try await simulator.seed()
        return simulator
    }

    /// The first state of `name` (as watched) that satisfies `condition`.
    static func eventually(
        _ store: ObjectStore, _ type: ResourceType, namespace: String? = "default", name: String,
        timeout: Duration = .seconds(10), _ condition: @escaping @Sendable (JSONValue) -> Bool
    ) async throws -> JSONValue {
        let filter = WatchFilter(resourceKey: type.resourceKey, namespace: namespace, labels: .everything, fields: .everything, name: name)
        // From the current revision, then the current state: a change made before the watch
        // began is in the state, one after it in the events (a watch from "now" alone missed
        // a Job that had already reached its state).
        let events = try await store.watch(type, filter: filter, fromRevision: await store.revision)
        if let current = try? await store.get(type, namespace: namespace, name: name), condition(current) { return current }
        return try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            group.addTask {
                for await event in events where event.kind != .deleted && condition(event.object) { return event.object }
                return nil
            }
            group.addTask {
                try await Sleep.for(timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let found = try await group.next(), let object = found else {
                Issue.record("\(type.plural)/\(name) did not reach the expected state within \(timeout)")
                throw CancellationError()
            }
            return object
        }
    }

    /// Waits (on a watch, with a deadline) for the pod's DELETED event.
    func waitUntilGone(_ store: ObjectStore, name: String, timeout: Duration = .seconds(10)) async throws {
        let filter = WatchFilter(resourceKey: Self.pods.resourceKey, namespace: "default", labels: .everything, fields: .everything, name: name)
        let events = try await store.watch(Self.pods, filter: filter, fromRevision: await store.revision)
        if (try? await store.get(Self.pods, namespace: "default", name: name)) == nil { return }
        let deleted = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await event in events where event.kind == .deleted { return true }
                return false
            }
            group.addTask {
                try? await Sleep.for(timeout)
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
        #expect(deleted, "pod \(name) was not deleted within \(timeout)")
    }

    @Test("deleting a running pod: Terminating with a deletionTimestamp, then removed by the kubelet")
    func gracefulDeletion() async throws {
        let sim = try await Self.cluster()
        _ = try await sim.store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("g"))
        _ = try await Self.eventually(sim.store, Self.pods, name: "g", Self.ready)
        let marked = try await sim.store.delete(Self.pods, namespace: "default", name: "g")
        #expect(marked["metadata"]?["deletionTimestamp"] != nil)
        #expect(marked["metadata"]?["deletionGracePeriodSeconds"] == 30)
        try await waitUntilGone(sim.store, name: "g")
        await #expect(throws: KubeStatus.self) { _ = try await sim.store.get(Self.pods, namespace: "default", name: "g") }
        // Grace 0 removes at once.
        _ = try await sim.store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("h"))
        _ = try await Self.eventually(sim.store, Self.pods, name: "h", Self.ready)
        _ = try await sim.store.delete(Self.pods, namespace: "default", name: "h", gracePeriodSeconds: 0)
        await #expect(throws: KubeStatus.self) { _ = try await sim.store.get(Self.pods, namespace: "default", name: "h") }
    }

    static func ready(_ pod: JSONValue) -> Bool {
        pod["status"]?["conditions"]?.arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } ?? false
    }

    @Test("a pod is scheduled, gets IPs, and goes Pending → Running → Ready")
    func podLifecycle() async throws {
        let sim = try await Self.cluster()
        let created = try await sim.store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("web"))
        #expect(created["status"]?["phase"] == "Pending")
        let scheduled = try await Self.eventually(sim.store, Self.pods, name: "web") {
            $0["spec"]?["nodeName"] != nil && $0["status"]?["podIP"] != nil
        }
        #expect(scheduled["spec"]?["nodeName"] == "kube-sim-node-1")
        #expect(scheduled["status"]?["hostIP"] == "172.18.0.2")
        #expect(scheduled["status"]?["podIP"]?.stringValue?.hasPrefix("10.244.") == true)
        let running = try await Self.eventually(sim.store, Self.pods, name: "web", Self.ready)
        #expect(running["status"]?["phase"] == "Running")
        #expect(running["status"]?["containerStatuses"]?.arrayValue?.first?["ready"] == true)
    }

    @Test("failure rules: never-ready images stay Pending, crashloop images never become Ready")
    func failureRules() async throws {
        let sim = try await Self.cluster()
        var stuck = KubeSimFixture.pod("stuck")
        stuck = ObjectMeta.setting(path: ["spec", "containers"], [["name": "c", "image": "example.org/never-ready:1"]], in: stuck)
        _ = try await sim.store.create(Self.pods, namespace: "default", object: stuck)
        let pulling = try await Self.eventually(sim.store, Self.pods, name: "stuck") {
            $0["status"]?["containerStatuses"]?.arrayValue?.first?["state"]?["waiting"]?["reason"] == "ImagePullBackOff"
        }
        #expect(pulling["status"]?["phase"] == "Pending")

        var crashing = KubeSimFixture.pod("crash")
        crashing = ObjectMeta.setting(path: ["spec", "containers"], [["name": "c", "image": "crashloop:latest"]], in: crashing)
        _ = try await sim.store.create(Self.pods, namespace: "default", object: crashing)
        let looping = try await Self.eventually(sim.store, Self.pods, name: "crash") { $0["status"]?["phase"] == "Running" }
        #expect(!Self.ready(looping))
        #expect(looping["status"]?["containerStatuses"]?.arrayValue?.first?["state"]?["waiting"]?["reason"] == "CrashLoopBackOff")
    }

    @Test("a Deployment owns its pods and reports them ready; scaling and deletion follow")
    func deployment() async throws {
        let sim = try await Self.cluster()
        let spec: JSONValue = [
            "replicas": 2, "selector": ["matchLabels": ["app": "api"]],
            "template": ["metadata": ["labels": ["app": "api"]], "spec": ["containers": [["name": "api", "image": "python:3.12"]]]],
        ]
        let created = try await sim.store.create(Self.deployments, namespace: "default", object: ["metadata": ["name": "api"], "spec": spec])
        let available = try await Self.eventually(sim.store, Self.deployments, name: "api") { $0["status"]?["readyReplicas"] == 2 }
        #expect(available["status"]?["conditions"]?.arrayValue?.first?["status"] == "True")
        let owned = try await sim.store.list(Self.pods, namespace: "default", labels: LabelSelector(parsing: "app=api")).items
        #expect(owned.count == 2)
        #expect(owned.allSatisfy { ObjectMeta.ownerUIDs($0) == [ObjectMeta.uid(created)!] })

        _ = try await sim.store.patch(Self.deployments, namespace: "default", name: "api", patch: ["spec": ["replicas": 1]], kind: .merge)
        _ = try await Self.eventually(sim.store, Self.deployments, name: "api") {
            $0["status"]?["replicas"] == 1 && $0["status"]?["readyReplicas"] == 1
        }

        _ = try await sim.store.delete(Self.deployments, namespace: "default", name: "api")
        // Its pods are collected: Terminating first, then gone once the kubelet stopped them.
        let remaining = try await sim.store.list(Self.pods, namespace: "default", labels: LabelSelector(parsing: "app=api")).items
        #expect(remaining.allSatisfy { $0["metadata"]?["deletionTimestamp"] != nil })
        for pod in remaining {
            let name = try #require(ObjectMeta.name(pod))
            try await waitUntilGone(sim.store, name: name)
        }
    }

    @Test("Services get cluster IPs; NodePorts are unique and in range; a taken port is refused")
    func services() async throws {
        let sim = try await Self.cluster()
        func service(_ name: String, nodePort: Int? = nil) -> JSONValue {
            var port: [String: JSONValue] = ["port": 5559]
            if let nodePort { port["nodePort"] = .number(Double(nodePort)) }
            return ["metadata": ["name": .string(name)], "spec": ["type": "NodePort", "ports": [.object(port)]]]
        }
        let first = try await sim.store.create(Self.services, namespace: "default", object: service("a"))
        let second = try await sim.store.create(Self.services, namespace: "default", object: service("b"))
        let ports = [first, second].compactMap { $0["spec"]?["ports"]?.arrayValue?.first?["nodePort"]?.scalarDescription.flatMap(Int.init) }
        #expect(ports.count == 2 && Set(ports).count == 2 && ports.allSatisfy(NetworkAllocator.nodePortRange.contains))
        #expect(ports.allSatisfy { !NetworkAllocator.staticBand.contains($0) })  // the chart's 30001/30002 stay free
        #expect(first["spec"]?["clusterIP"]?.stringValue?.hasPrefix("10.96.") == true)
        let fixed = try await sim.store.create(Self.services, namespace: "default", object: service("c", nodePort: 30001))
        #expect(fixed["spec"]?["ports"]?.arrayValue?.first?["nodePort"] == 30001)
        await #expect(throws: KubeStatus.self) {
            _ = try await sim.store.create(Self.services, namespace: "default", object: service("d", nodePort: 30001))
        }
    }

    @Test("a PV becomes Available and a claim naming it binds both")
    func volumes() async throws {
        let sim = try await Self.cluster()
        _ = try await sim.store.create(
            Self.volumes, namespace: nil,
            object: [
                "metadata": ["name": "user-pv"],
                "spec": ["capacity": ["storage": "10Gi"], "accessModes": ["ReadWriteMany"], "nfs": ["server": "10.0.0.1", "path": "/export"]],
            ])
        _ = try await Self.eventually(sim.store, Self.volumes, namespace: nil, name: "user-pv") { $0["status"]?["phase"] == "Available" }
        _ = try await sim.store.create(
            Self.claims, namespace: "default",
            object: [
                "metadata": ["name": "user-pvc"],
                "spec": ["volumeName": "user-pv", "accessModes": ["ReadWriteMany"], "resources": ["requests": ["storage": "10Gi"]]],
            ])
        let claim = try await Self.eventually(sim.store, Self.claims, name: "user-pvc") { $0["status"]?["phase"] == "Bound" }
        #expect(claim["status"]?["capacity"] == ["storage": "10Gi"])
        let volume = try await Self.eventually(sim.store, Self.volumes, namespace: nil, name: "user-pv") { $0["status"]?["phase"] == "Bound" }
        #expect(volume["spec"]?["claimRef"]?["name"] == "user-pvc")
    }
}

extension SimulationTests {
    static let jobs = type("batch", "jobs")
    static let configMaps = type("", "configmaps")

    @Test(
        "a Job gets one pod labelled as the job controller labels it; its phase becomes the Job's status; Foreground deletion takes the pod and owned objects"
    )
    func job() async throws {
        let sim = try await Self.cluster()
        let job = try await sim.store.create(
            Self.jobs, namespace: "default",
            object: [
                "metadata": ["name": "crunch"],
                "spec": [
                    "backoffLimit": 0,
                    "template": [
                        "metadata": ["labels": ["team": "a"]],
                        "spec": ["restartPolicy": "Never", "containers": [["name": "job", "image": "python:3.12", "command": ["python", "-V"]]]],
                    ],
                ],
            ])
        let uid = try #require(ObjectMeta.uid(job))
        let running = try await Self.eventually(sim.store, Self.jobs, name: "crunch") { $0["status"]?["active"] == 1 }
        #expect(running["status"]?["startTime"] != nil)
        let pods = try await sim.store.list(Self.pods, namespace: "default", labels: LabelSelector(parsing: "job-name=crunch")).items
        let pod = try #require(pods.first)
        #expect(pods.count == 1)
        let labels = ObjectMeta.labels(pod)
        #expect(labels["batch.kubernetes.io/job-name"] == "crunch" && labels["controller-uid"] == uid && labels["team"] == "a")
        #expect(ObjectMeta.ownerUIDs(pod) == [uid])
        let podName = try #require(ObjectMeta.name(pod))

        // A ConfigMap the Job owns, as kbatch's shipped code is.
        _ = try await sim.store.create(
            Self.configMaps, namespace: "default",
            object: [
                "metadata": [
                    "name": "crunch-code", "ownerReferences": [["apiVersion": "batch/v1", "kind": "Job", "name": "crunch", "uid": .string(uid)]],
                ]
            ])

        // The test plays the container: it exits 0.
        _ = try await sim.store.patch(
            Self.pods, namespace: "default", name: podName, patch: ["status": ["phase": "Succeeded"]], kind: .merge, subresource: "status")
        let done = try await Self.eventually(sim.store, Self.jobs, name: "crunch") { $0["status"]?["succeeded"] == 1 }
        #expect(done["status"]?["active"] == nil && done["status"]?["completionTime"] != nil)
        #expect(done["status"]?["conditions"]?.arrayValue?.first?["type"] == "Complete")

        // Foreground: the Job stays, marked, while its pod terminates; then both are gone.
        let marked = try await sim.store.delete(Self.jobs, namespace: "default", name: "crunch", propagation: .foreground)
        #expect(marked["metadata"]?["deletionTimestamp"] != nil && ObjectMeta.finalizers(marked) == ["foregroundDeletion"])
        #expect(try await sim.store.get(Self.jobs, namespace: "default", name: "crunch")["metadata"]?["deletionTimestamp"] != nil)
        #expect(try await sim.store.list(Self.configMaps, namespace: "default").items.allSatisfy { ObjectMeta.name($0) != "crunch-code" })
        try await waitUntilGone(sim.store, name: podName)
        try await waitUntil("the Job is gone after its pod", timeout: .seconds(10)) {
            (try? await sim.store.get(Self.jobs, namespace: "default", name: "crunch")) == nil
        }
    }

    @Test("a failing pod fails its Job")
    func failedJob() async throws {
        let sim = try await Self.cluster()
        _ = try await sim.store.create(
            Self.jobs, namespace: "default",
            object: ["metadata": ["name": "broken"], "spec": ["template": ["spec": ["containers": [["name": "job", "image": "busybox"]]]]]])
        _ = try await Self.eventually(sim.store, Self.jobs, name: "broken") { $0["status"]?["active"] == 1 }
        let pod = try #require(
            try await sim.store.list(Self.pods, namespace: "default", labels: LabelSelector(parsing: "job-name=broken")).items.first)
        _ = try await sim.store.patch(
            Self.pods, namespace: "default", name: try #require(ObjectMeta.name(pod)), patch: ["status": ["phase": "Failed"]], kind: .merge,
            subresource: "status")
        let failed = try await Self.eventually(sim.store, Self.jobs, name: "broken") { $0["status"]?["failed"] == 1 }
        #expect(failed["status"]?["conditions"]?.arrayValue?.first?["type"] == "Failed" && failed["status"]?["completionTime"] == nil)
    }
}
