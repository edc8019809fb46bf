import AsyncHTTPClient
import Essentials
import Foundation
import Kubernetes
import TestFixtures
import TestSupport
import Testing

@testable import KubeSim

/// The Kubernetes module's informer against kube-sim: the first list, the index, reads that
/// wait for a write's resourceVersion, a dropped watch resumed without a list, and a 410
/// answered by listing again, deletions missed meanwhile included.
@Suite("Informer")
struct InformerTests {
    /// Config maps reduced to (name, owner), indexed by owner.
    struct Kept: Sendable, Equatable {
        let name: String
        let owner: String
    }

    static func informer(_ kube: KubernetesClient) -> Informer<Kept> {
        Informer(
            client: kube, resource: .configMaps, namespace: "default", labelSelector: "app=test",
            project: { object in object.name.map { Kept(name: $0, owner: object.labels["owner"] ?? "") } },
            index: { ["owner:\($0.owner)"] })
    }

    static func create(_ kube: KubernetesClient, _ name: String, owner: String, app: String = "test") async throws -> String {
        let object = UnstructuredObject(["metadata": ["name": .string(name), "labels": ["app": .string(app), "owner": .string(owner)]]])
        return try #require(try await kube.create(.configMaps, namespace: "default", object).resourceVersion)
    }

    /// An informer over `kube`, synced and with its watch open, for `body`.
    static func withInformer(_ sim: KubeSimFixture, _ kube: KubernetesClient, _ body: (Informer<Kept>) async throws -> Void) async throws {
        let informer = informer(kube)
        let running = Task { await informer.run() }
        defer { running.cancel() }
        #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
        try await waitUntil("the watch is open") { await sim.simulator.store.openWatches == 1 }
        try await body(informer)
    }

    static func owners(_ informer: Informer<Kept>, _ owner: String) -> [String] {
        informer.items(indexedBy: "owner:\(owner)").map(\.name).sorted()
    }

    @Test("lists, indexes, and a read after a write waits for it: created, changed and deleted objects are seen at once")
    func readYourWrites() async throws {
        try await KubeSimFixture.run { sim in
            let kube = try sim.kubernetesClient()
            _ = try await Self.create(kube, "a1", owner: "a")
            _ = try await Self.create(kube, "b1", owner: "b")
            _ = try await Self.create(kube, "other", owner: "a", app: "elsewhere")
            let informer = Self.informer(kube)
            let running = Task { await informer.run() }
            defer { running.cancel() }
            #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
            #expect(Self.owners(informer, "a") == ["a1"] && Self.owners(informer, "b") == ["b1"] && informer.count == 2)
            let written = try await Self.create(kube, "a2", owner: "a")
            #expect(await informer.waitUntilSeen(resourceVersion: written, timeout: .seconds(10)))
            #expect(Self.owners(informer, "a") == ["a1", "a2"])
            // Moving to another owner moves it in the index.
            let moved = try #require(
                try await kube.patch(.configMaps, namespace: "default", name: "a2", ["metadata": ["labels": ["owner": "b"]]]).resourceVersion)
            #expect(await informer.waitUntilSeen(resourceVersion: moved, timeout: .seconds(10)))
            #expect(Self.owners(informer, "a") == ["a1"] && Self.owners(informer, "b") == ["a2", "b1"])
            try await kube.delete(.configMaps, namespace: "default", name: "a1")
            let later = try await Self.create(kube, "c1", owner: "c")
            #expect(await informer.waitUntilSeen(resourceVersion: later, timeout: .seconds(10)))
            #expect(
                Self.owners(informer, "a").isEmpty && informer.item(name: "a1") == nil && informer.item(name: "c1") == Kept(name: "c1", owner: "c"))
            // A version not reached in time, or not a number: the caller reads live.
            #expect(!(await informer.waitUntilSeen(resourceVersion: String(UInt64(later)! + 1000), timeout: .milliseconds(100))))
            #expect(!(await informer.waitUntilSeen(resourceVersion: "not-a-number", timeout: .seconds(1))))
            #expect(informer.lists == 1)
        }
    }

    @Test("a dropped watch is resumed from the last resourceVersion, without listing again or missing a change")
    func droppedWatch() async throws {
        try await KubeSimFixture.run { sim in
            let kube = try sim.kubernetesClient()
            _ = try await Self.create(kube, "before", owner: "a")
            try await Self.withInformer(sim, kube) { informer in
                await sim.simulator.store.beginWatchOutage()
                let during = try await Self.create(kube, "during", owner: "a")
                await sim.simulator.store.endWatchOutage(expired: false)
                #expect(await informer.waitUntilSeen(resourceVersion: during, timeout: .seconds(10)))
                #expect(Self.owners(informer, "a") == ["before", "during"])
                #expect(informer.lists == 1)
            }
        }
    }

    @Test("a 410 Gone lists again and replaces the copy: objects deleted while the watch was away go, new ones come")
    func goneRelists() async throws {
        try await KubeSimFixture.run { sim in
            let kube = try sim.kubernetesClient()
            _ = try await Self.create(kube, "stays", owner: "a")
            _ = try await Self.create(kube, "goes", owner: "a")
            try await Self.withInformer(sim, kube) { informer in
                await sim.simulator.store.beginWatchOutage()
                try await kube.delete(.configMaps, namespace: "default", name: "goes")
                let arrived = try await Self.create(kube, "arrives", owner: "b")
                await sim.simulator.store.endWatchOutage(expired: true)
                #expect(await informer.waitUntilSeen(resourceVersion: arrived, timeout: .seconds(10)))
                try await waitUntil("the informer listed again") { informer.lists == 2 }
                #expect(Self.owners(informer, "a") == ["stays"] && Self.owners(informer, "b") == ["arrives"])
            }
        }
    }

    @Test("kube-sim's POST /_sim/watches/drop ends the watches on demand (with expire=true, as 410s): the informer recovers either way")
    func dropOverHTTP() async throws {
        try await KubeSimFixture.run { sim in
            let kube = try sim.kubernetesClient()
            let informer = Self.informer(kube)
            let running = Task { await informer.run() }
            defer { running.cancel() }
            #expect(await informer.waitUntilSynced(timeout: .seconds(10)))
            for expire in [false, true] {
                try await waitUntil("the watch is open") { await sim.simulator.store.openWatches == 1 }
                var request = HTTPClientRequest(url: kube.configuration.server.absoluteString + "/_sim/watches/drop?expire=\(expire)")
                request.method = .POST
                #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status == .noContent)
                let written = try await Self.create(kube, "after-\(expire)", owner: "a")
                #expect(await informer.waitUntilSeen(resourceVersion: written, timeout: .seconds(10)))
            }
            #expect(Self.owners(informer, "a") == ["after-false", "after-true"] && informer.lists == 2)
        }
    }
}
