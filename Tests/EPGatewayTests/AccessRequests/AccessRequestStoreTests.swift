import Foundation
import Testing

@testable import EPGateway

/// Access requests in the catalog database, on each backend: one pending request per user
/// whoever races, decisions only on pending requests, listing by status. The workflow end to
/// end with the dev IdP as the AAI: e2e/test_access_requests.py.
@Suite("Access request stores")
struct AccessRequestStoreTests {
    static func request(_ id: String, user: String, at second: Int) -> AccessRequest {
        AccessRequest(
            id: id, userSub: user, username: "\(user)@example.org", email: nil, status: .pending, justification: "j",
            createdAt: String(format: "2026-12-02T10:00:%02dZ", second))
    }

    static func store(_ catalog: any CatalogStore) throws -> AccessRequestStore {
        AccessRequestStore(database: try #require(catalog as? any DocumentDatabase))
    }

    @Test("twenty concurrent requests of one user: one is stored, nineteen are told one is pending", arguments: CatalogBackendUnderTest.available)
    func onePendingPerUser(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { catalog, _ in
            let store = try Self.store(catalog)
            let outcomes = await withTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            try await store.create(Self.request("r\(index)", user: "alice", at: index))
                            return "stored"
                        } catch let error as AccessRequestError {
                            return error == .pendingExists ? "pending" : "other: \(error)"
                        } catch {
                            return "other: \(error)"
                        }
                    }
                }
                return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == ["stored": 1, "pending": 19])
            #expect(try await store.requests(status: .pending).count == 1)
            // Another user is not affected.
            try await store.create(Self.request("bob-1", user: "bob", at: 30))
        }
    }

    @Test(
        "decisions apply to pending requests only; a decided user may ask again; lists by status, oldest first",
        arguments: CatalogBackendUnderTest.available)
    func decisions(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { catalog, _ in
            let store = try Self.store(catalog)
            try await store.create(Self.request("a1", user: "alice", at: 2))
            try await store.create(Self.request("b1", user: "bob", at: 1))
            let approved = try await store.updatePending("a1") { request in
                request.status = .approved
                request.grantType = .writer
            }
            #expect(approved.status == .approved && approved.grantType == .writer)
            await #expect(throws: AccessRequestError.notPending(.approved)) {
                _ = try await store.updatePending("a1") { $0.status = .rejected }
            }
            await #expect(throws: AccessRequestError.notFound) { _ = try await store.updatePending("nope") { _ in } }
            // A change that throws leaves the request as it was.
            struct Refused: Error {}
            await #expect(throws: (any Error).self) {
                _ = try await store.updatePending("b1") { request in
                    request.status = .rejected
                    throw Refused()
                }
            }
            #expect(try await store.request("b1")?.status == .pending)
            try await store.create(Self.request("a2", user: "alice", at: 3))
            #expect(try await store.requests(status: .pending).map(\.id) == ["b1", "a2"])
            #expect(try await store.requests(status: .approved).map(\.id) == ["a1"])
            #expect(try await store.requests(status: nil).map(\.id) == ["b1", "a1", "a2"])
            #expect(try await store.request("a1") == approved)
        }
    }
}
