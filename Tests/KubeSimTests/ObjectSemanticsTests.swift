import Essentials
import Foundation
import KubeSim
import TestFixtures
import Testing

/// API-server semantics of kube-sim's store, over HTTP.
@Suite("kube-sim object semantics")
struct ObjectSemanticsTests {
    @Test("create assigns uid, creationTimestamp and increasing resourceVersions; unknown fields survive")
    func create() async throws {
        try await KubeSimFixture.run { sim in
            var pod = KubeSimFixture.pod("a")
            pod = .object((pod.objectValue ?? [:]).merging(["x-custom": ["keep": [1, "two"]]]) { $1 })
            let first = try await sim.create("/api/v1/namespaces/default/pods", pod)
            let second = try await sim.create("/api/v1/namespaces/default/pods", KubeSimFixture.pod("b"))
            #expect(first["metadata"]?["uid"]?.stringValue?.count == 36)
            #expect(first["metadata"]?["creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
            #expect(try #require(first.resourceVersion) < (try #require(second.resourceVersion)))
            #expect(first["x-custom"] == ["keep": [1, "two"]])
            #expect(first["status"]?["phase"] == "Pending")
            let fetched = try await sim.call(.get, "/api/v1/namespaces/default/pods/a")
            #expect(fetched.body == first)
        }
    }

    @Test("generateName gets a random suffix")
    func generateName() async throws {
        try await KubeSimFixture.run { sim in
            let pod = KubeSimFixture.pod("", extra: ["generateName": "worker-"])
            let created = try await sim.create("/api/v1/namespaces/default/pods", pod)
            let name = try #require(created.name)
            #expect(name.hasPrefix("worker-") && name.count == "worker-".count + 5)
        }
    }

    @Test("errors are Status objects: 404, 409 AlreadyExists, 422 Invalid, 404 for a missing namespace")
    func statusErrors() async throws {
        try await KubeSimFixture.run { sim in
            let missing = try await sim.call(.get, "/api/v1/namespaces/default/pods/nope")
            #expect(missing.status == 404)
            #expect(missing.body["kind"] == "Status" && missing.body["reason"] == "NotFound" && missing.body["code"] == 404)
            #expect(missing.body["message"] == "pods \"nope\" not found")

            _ = try await sim.create("/api/v1/namespaces/default/pods", KubeSimFixture.pod("dup"))
            let duplicate = try await sim.call(.post, "/api/v1/namespaces/default/pods", body: KubeSimFixture.pod("dup"))
            #expect(duplicate.status == 409 && duplicate.body["reason"] == "AlreadyExists")

            let invalid = try await sim.call(.post, "/api/v1/namespaces/default/pods", body: KubeSimFixture.pod("Not_Valid"))
            #expect(invalid.status == 422 && invalid.body["reason"] == "Invalid")

            let noNamespace = try await sim.call(.post, "/api/v1/namespaces/ghost/pods", body: KubeSimFixture.pod("p"))
            #expect(noNamespace.status == 404 && noNamespace.body["message"] == "namespaces \"ghost\" not found")

            let unknownKind = try await sim.call(.get, "/apis/storage.k8s.io/v1/storageclasses")
            #expect(unknownKind.status == 404)
        }
    }

    @Test("replace with a stale resourceVersion is a 409 Conflict; with the current one it succeeds")
    func optimisticConcurrency() async throws {
        try await KubeSimFixture.run { sim in
            let created = try await sim.create("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "cm"], "data": ["k": "1"]])
            var updated = created.objectValue ?? [:]
            updated["data"] = ["k": "2"]
            let first = try await sim.call(.put, "/api/v1/namespaces/default/configmaps/cm", body: .object(updated))
            #expect(first.status == 200 && first.body["data"]?["k"] == "2")
            let stale = try await sim.call(.put, "/api/v1/namespaces/default/configmaps/cm", body: .object(updated))
            #expect(stale.status == 409 && stale.body["reason"] == "Conflict")
        }
    }

    @Test("merge, strategic and JSON patches")
    func patches() async throws {
        try await KubeSimFixture.run { sim in
            _ = try await sim.create("/api/v1/namespaces/default/pods", KubeSimFixture.pod("p", labels: ["a": "1", "b": "2"]))
            let merged = try await sim.call(
                .patch, "/api/v1/namespaces/default/pods/p", body: ["metadata": ["labels": ["a": .null, "c": "3"]]],
                contentType: "application/merge-patch+json")
            #expect(merged.body["metadata"]?["labels"] == ["b": "2", "c": "3"])
            let strategic = try await sim.call(
                .patch, "/api/v1/namespaces/default/pods/p",
                body: ["spec": ["containers": [["name": "c", "image": "busybox:1.37"], ["name": "side", "image": "nginx"]]]],
                contentType: "application/strategic-merge-patch+json"
            )
            let containers = try #require(strategic.body["spec"]?["containers"]?.arrayValue)
            #expect(containers.map { $0["image"] } == ["busybox:1.37", "nginx"])
            let json = try await sim.call(
                .patch, "/api/v1/namespaces/default/pods/p", body: [["op": "add", "path": "/metadata/annotations", "value": ["x": "y"]]],
                contentType: "application/json-patch+json")
            #expect(json.body["metadata"]?["annotations"] == ["x": "y"])
            let unsupported = try await sim.call(.patch, "/api/v1/namespaces/default/pods/p", body: [:], contentType: "application/xml")
            #expect(unsupported.status == 415)
            // Server-side apply: merged into an existing object, creates a missing one (201).
            let applied = try await sim.call(
                .patch, "/api/v1/namespaces/default/pods/p", body: ["metadata": ["labels": ["applied": "yes"]]],
                contentType: "application/apply-patch+yaml")
            #expect(applied.status == 200 && applied.body["metadata"]?["labels"]?["applied"] == "yes")
            let created = try await sim.call(
                .patch, "/api/v1/namespaces/default/configmaps/fresh",
                body: ["apiVersion": "v1", "kind": "ConfigMap", "data": ["k": "v"]], contentType: "application/apply-patch+yaml")
            #expect(created.status == 201 && created.body["data"]?["k"] == "v")
        }
    }

    @Test("status is only written through /status, and spec changes bump generation")
    func statusSubresource() async throws {
        try await KubeSimFixture.run { sim in
            let created = try await sim.create(
                "/apis/apps/v1/namespaces/default/deployments",
                [
                    "metadata": ["name": "d"],
                    "spec": [
                        "replicas": 1, "selector": ["matchLabels": ["a": "b"]],
                        "template": ["metadata": ["labels": ["a": "b"]], "spec": ["containers": [["name": "c", "image": "i"]]]],
                    ],
                ])
            #expect(created["metadata"]?["generation"] == 1)
            let ignored = try await sim.call(
                .patch, "/apis/apps/v1/namespaces/default/deployments/d", body: ["status": ["readyReplicas": 7], "spec": ["replicas": 2]],
                contentType: "application/merge-patch+json")
            #expect(ignored.body["status"]?["readyReplicas"] != 7)
            #expect(ignored.body["metadata"]?["generation"] == 2)
            let status = try await sim.call(
                .patch, "/apis/apps/v1/namespaces/default/deployments/d/status", body: ["status": ["readyReplicas": 2]],
                contentType: "application/merge-patch+json")
            #expect(status.body["status"]?["readyReplicas"] == 2)
            #expect(status.body["spec"]?["replicas"] == 2)
        }
    }

    @Test("label and field selectors, and limit/continue paging")
    func listing() async throws {
        try await KubeSimFixture.run { sim in
            for index in 0..<7 {
                _ = try await sim.create(
                    "/api/v1/namespaces/default/pods",
                    KubeSimFixture.pod("p\(index)", labels: ["app": index % 2 == 0 ? "even" : "odd", "n": "\(index)"]))
            }
            let even = try await sim.call(.get, "/api/v1/namespaces/default/pods?labelSelector=app%3Deven")
            #expect(even.body["items"]?.arrayValue?.compactMap(\.name) == ["p0", "p2", "p4", "p6"])
            let setBased = try await sim.call(.get, "/api/v1/pods?labelSelector=n%20in%20(1,2),app!%3Deven")
            #expect(setBased.body["items"]?.arrayValue?.compactMap(\.name) == ["p1"])
            let byName = try await sim.call(.get, "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dp3")
            #expect(byName.body["items"]?.arrayValue?.compactMap(\.name) == ["p3"])
            let bad = try await sim.call(.get, "/api/v1/pods?labelSelector=a%20in%20b")
            #expect(bad.status == 400)

            var names: [String] = []
            var token: String? = nil
            repeat {
                let page = try await sim.call(.get, "/api/v1/namespaces/default/pods?limit=3" + (token.map { "&continue=\($0)" } ?? ""))
                names += page.body["items"]?.arrayValue?.compactMap(\.name) ?? []
                token = page.body["metadata"]?["continue"]?.stringValue?.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
            } while token != nil
            #expect(names == (0..<7).map { "p\($0)" })
        }
    }

    @Test("deleting a namespace deletes what is in it")
    func namespaceCascade() async throws {
        try await KubeSimFixture.run { sim in
            _ = try await sim.create("/api/v1/namespaces", ["metadata": ["name": "team"]])
            _ = try await sim.create("/api/v1/namespaces/team/pods", KubeSimFixture.pod("p"))
            _ = try await sim.create("/api/v1/namespaces/team/configmaps", ["metadata": ["name": "c"]])
            let deleted = try await sim.call(.delete, "/api/v1/namespaces/team")
            #expect(deleted.status == 200 && deleted.body["status"]?["phase"] == "Terminating")
            #expect(try await sim.call(.get, "/api/v1/namespaces/team").status == 404)
            #expect(try await sim.call(.get, "/api/v1/namespaces/team/pods/p").status == 404)
            #expect(try await sim.call(.get, "/api/v1/configmaps").body["items"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test("finalizers hold deletion until removed")
    func finalizers() async throws {
        try await KubeSimFixture.run { sim in
            _ = try await sim.create("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "held", "finalizers": ["example.org/hold"]]])
            let marked = try await sim.call(.delete, "/api/v1/namespaces/default/configmaps/held")
            #expect(marked.body["metadata"]?["deletionTimestamp"] != nil)
            #expect(try await sim.call(.get, "/api/v1/namespaces/default/configmaps/held").status == 200)
            _ = try await sim.call(
                .patch, "/api/v1/namespaces/default/configmaps/held", body: ["metadata": ["finalizers": .null]],
                contentType: "application/merge-patch+json")
            #expect(try await sim.call(.get, "/api/v1/namespaces/default/configmaps/held").status == 404)
        }
    }

    @Test("ownerReference garbage collection, and Orphan keeps dependents")
    func garbageCollection() async throws {
        try await KubeSimFixture.run { sim in
            let owner = try await sim.create("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "owner"]])
            let reference: JSONValue = [["apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]?["uid"] ?? .null]]
            _ = try await sim.create("/api/v1/namespaces/default/pods", KubeSimFixture.pod("child", extra: ["ownerReferences": reference]))
            _ = try await sim.call(.delete, "/api/v1/namespaces/default/configmaps/owner")
            #expect(try await sim.call(.get, "/api/v1/namespaces/default/pods/child").status == 404)

            let second = try await sim.create("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "owner2"]])
            let reference2: JSONValue = [["apiVersion": "v1", "kind": "ConfigMap", "name": "owner2", "uid": second["metadata"]?["uid"] ?? .null]]
            _ = try await sim.create("/api/v1/namespaces/default/pods", KubeSimFixture.pod("kept", extra: ["ownerReferences": reference2]))
            _ = try await sim.call(.delete, "/api/v1/namespaces/default/configmaps/owner2?propagationPolicy=Orphan")
            let kept = try await sim.call(.get, "/api/v1/namespaces/default/pods/kept")
            #expect(kept.status == 200 && kept.body["metadata"]?["ownerReferences"] == nil)
        }
    }

    @Test("discovery documents describe every kind")
    func discovery() async throws {
        try await KubeSimFixture.run { sim in
            #expect(try await sim.call(.get, "/api").body["versions"] == ["v1"])
            let groups = try await sim.call(.get, "/apis").body["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(Set(groups ?? []).isSuperset(of: ["apps", "networking.k8s.io"]))
            let core = try await sim.call(.get, "/api/v1").body["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(
                Set(core).isSuperset(of: [
                    "pods", "pods/log", "pods/exec", "services", "namespaces", "nodes", "persistentvolumes", "persistentvolumeclaims", "configmaps",
                    "secrets", "events", "resourcequotas",
                ]))
            #expect(try await sim.call(.get, "/version").body["major"] == "1")
        }
    }
}
