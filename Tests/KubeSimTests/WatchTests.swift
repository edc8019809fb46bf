import Essentials
import Foundation
import Kubernetes
import TestFixtures
import Testing

@testable import KubeSim

/// Watch semantics: replay from a resourceVersion, 410 when it is too old, bookmarks,
/// and the wire format (one JSON event per line).
@Suite("kube-sim watch")
struct WatchTests {
    static let pods = ResourceRegistry.standard.type(group: "", version: "v1", plural: "pods")!

    static func filter(namespace: String? = "default", labels: String = "") throws -> WatchFilter {
        WatchFilter(resourceKey: pods.resourceKey, namespace: namespace, labels: try LabelSelector(parsing: labels), fields: .everything, name: nil)
    }

    static func store(history: Int = 100) async throws -> ObjectStore {
        var settings = KubeSimFixture.apiServerOnly
        settings.historyLimit = history
        let simulator = KubeSimulator(settings: settings)
        try await simulator.seed()
        return simulator.store
    }

    @Test("a watch from a resourceVersion replays later events, then follows live ones")
    func resume() async throws {
        let store = try await Self.store()
        let a = try await store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("a"))
        let resumeFrom = try #require(a.resourceVersion)
        _ = try await store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("b"))
        _ = try await store.delete(Self.pods, namespace: "default", name: "a")
        var iterator = try await store.watch(Self.pods, filter: try Self.filter(), fromRevision: resumeFrom).makeAsyncIterator()
        let replayed = [await iterator.next(), await iterator.next()]
        #expect(replayed.map { $0?.kind } == [.added, .deleted])
        #expect(replayed.map { $0?.object.name } == ["b", "a"])
        _ = try await store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("c"))
        let live = await iterator.next()
        #expect(live?.kind == .added && live?.object.name == "c")
        #expect(try #require(live?.revision) > resumeFrom)
    }

    @Test("without a resourceVersion the current objects arrive as ADDED; selectors filter")
    func initialState() async throws {
        let store = try await Self.store()
        _ = try await store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("x", labels: ["app": "web"]))
        _ = try await store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("y", labels: ["app": "db"]))
        var iterator = try await store.watch(Self.pods, filter: try Self.filter(labels: "app=web"), fromRevision: nil).makeAsyncIterator()
        let first = await iterator.next()
        #expect(first?.kind == .added && first?.object.name == "x")
        _ = try await store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("z", labels: ["app": "web"]))
        #expect(await iterator.next()?.object.name == "z")
    }

    @Test("a resourceVersion older than the kept history is 410 Gone")
    func gone() async throws {
        let store = try await Self.store(history: 3)
        let first = try await store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("p0"))
        for index in 1...5 { _ = try await store.create(Self.pods, namespace: "default", object: KubeSimFixture.pod("p\(index)")) }
        await #expect(throws: KubeStatus.self) {
            _ = try await store.watch(Self.pods, filter: try Self.filter(), fromRevision: first.resourceVersion)
        }
        await store.compactHistory()
        let current = await store.revision
        _ = try await store.watch(Self.pods, filter: try Self.filter(), fromRevision: current)  // the newest version is always resumable
    }

    @Test("dropping watches ends the streams, as a server restart would")
    func drop() async throws {
        let store = try await Self.store()
        let stream = try await store.watch(Self.pods, filter: try Self.filter(), fromRevision: await store.revision)
        #expect(await store.openWatches == 1)
        await store.dropAllWatches()
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() == nil)
    }

    @Test("over HTTP: one JSON event per line, bookmarks when asked, 410 as a Status")
    func wire() async throws {
        var settings = KubeSimFixture.apiServerOnly
        settings.bookmarkInterval = .milliseconds(100)
        settings.historyLimit = 2
        try await KubeSimFixture.run(settings: settings) { sim in
            let start = try #require(try await sim.call(.get, "/api/v1/namespaces/default/pods").body["metadata"]?["resourceVersion"]?.stringValue)
            _ = try await sim.create("/api/v1/namespaces/default/pods", KubeSimFixture.pod("w"))
            let reply = try await sim.call(
                .get, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=\(start)&allowWatchBookmarks=true&timeoutSeconds=1")
            let events = try reply.text.split(separator: "\n").map { try JSONValue.decode(Data($0.utf8)) }
            #expect(events.first?["type"] == "ADDED")
            #expect(events.first?["object"]?.name == "w")
            let bookmarks = events.filter { $0["type"] == "BOOKMARK" }
            #expect(!bookmarks.isEmpty)
            #expect(bookmarks.first?["object"]?["kind"] == "Pod")
            #expect(bookmarks.first?["object"]?["metadata"]?["resourceVersion"] != nil)

            for index in 0..<4 { _ = try await sim.create("/api/v1/namespaces/default/pods", KubeSimFixture.pod("later\(index)")) }
            let expired = try await sim.call(.get, "/api/v1/namespaces/default/pods?watch=1&resourceVersion=\(start)")
            #expect(expired.status == 410 && expired.body["reason"] == "Expired")
        }
    }
}
