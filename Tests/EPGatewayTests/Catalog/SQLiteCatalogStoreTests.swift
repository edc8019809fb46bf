import Essentials
import Foundation
import Logging
import SQLiteNIO
import Testing

@testable import EPGateway

/// The SQLite catalog on a real file: migrations, organizations, transactions and races.
@Suite("SQLite catalog store")
struct SQLiteCatalogStoreTests {
    /// A fresh database file in a folder that does not exist yet (the store makes it).
    static func withStore(_ body: (SQLiteCatalogStore, String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nested/catalog.sqlite").path
        let opened = try await SQLiteCatalogStore.open(path: path, logger: Logger(label: "test"))
        #expect(opened.migratedFrom == 0)
        do {
            try await body(opened.store, path)
        } catch {
            try? await opened.store.close()
            throw error
        }
        try await opened.store.close()
    }

    static let writer = CreatorStamp(userID: "7c64684b294a5055", md5: "md5")

    @Test("organizations: create, list with filters, refuse a duplicate, delete; reopening keeps them")
    func organizations() async throws {
        try await Self.withStore { store, path in
            let lab = try await store.createOrganization(NewOrganization(name: "lab-a", title: "Lab A", description: "", creator: Self.writer))
            _ = try await store.createOrganization(NewOrganization(name: "other", title: "Other", description: "d", creator: nil))
            #expect(try await store.organizationNames(containing: nil, createdBy: nil) == ["lab-a", "other"])
            #expect(try await store.organizationNames(containing: "LAB", createdBy: nil) == ["lab-a"])
            #expect(try await store.organizationNames(containing: nil, createdBy: Self.writer.userID) == ["lab-a"])
            await #expect(throws: CatalogError.organizationExists("lab-a")) {
                _ = try await store.createOrganization(NewOrganization(name: "lab-a", title: "Again", description: "", creator: nil))
            }
            #expect(try await store.organization(named: "lab-a")?.id == lab.id)
            #expect(try await store.organization(named: "lab-a")?.creator == Self.writer)

            // A second store on the same file sees them, and finds the schema current.
            let again = try await SQLiteCatalogStore.open(path: path, logger: Logger(label: "test"))
            #expect(again.migratedFrom == SQLiteSchema.latestVersion)
            #expect(try await again.store.organizationNames(containing: nil, createdBy: nil) == ["lab-a", "other"])
            try await again.store.close()

            try await store.deleteOrganization(named: "lab-a", cascade: false)
            await #expect(throws: CatalogError.organizationNotFound) { try await store.deleteOrganization(named: "lab-a", cascade: true) }
            #expect(try await store.organizationNames(containing: nil, createdBy: nil) == ["other"])
        }
    }

    @Test("twenty concurrent creations of one name: exactly one wins, the others are told it exists")
    func race() async throws {
        try await Self.withStore { store, _ in
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await store.createOrganization(NewOrganization(name: "same", title: "\(index)", description: "", creator: nil))
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let names = try await store.organizationNames(containing: "same", createdBy: nil)
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(names == ["same"])
        }
    }

    @Test("a database written by a newer release is refused, untouched")
    func newerSchema() async throws {
        try await Self.withStore { store, path in
            let connection = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await connection.query("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')")
            try await connection.close()
            do {
                _ = try await SQLiteCatalogStore.open(path: path, logger: Logger(label: "test"))
                Issue.record("a newer schema was accepted")
            } catch let error as CatalogStartupError {
                #expect(error.description.contains("has schema version 99, newer than this ndp-ep-api knows (\(SQLiteSchema.latestVersion))"))
            }
            #expect(try await store.organizationNames(containing: nil, createdBy: nil) == [])
        }
    }

    @Test("the services organization is made once, whoever starts first")
    func servicesOrganization() async throws {
        try await Self.withStore { store, _ in
            try await Catalog.ensureServicesOrganization(store)
            try await Catalog.ensureServicesOrganization(store)
            #expect(try await store.organizationNames(containing: nil, createdBy: nil) == ["services"])
        }
    }

    static func dataset(_ name: String, organization: String = "lab", notes: String = "", resources: [String] = []) -> CatalogDataset {
        let now = Date()
        return CatalogDataset(
            id: UUID().uuidString.lowercased(), name: name, title: name.capitalized, organization: organization, notes: notes, tags: ["t"],
            groups: [], extras: [.init(key: "k", value: "v")],
            resources: resources.map {
                CatalogResource(id: UUID().uuidString.lowercased(), url: "https://x/\($0)", name: $0, format: "CSV", description: "", created: now)
            }, isPrivate: false, creator: "c", created: now, modified: now)
    }

    /// A dataset as the database keeps it (timestamps to the millisecond).
    static func stored(_ dataset: CatalogDataset?) -> [JSONValue]? {
        dataset.map { [$0.document] + $0.resources.map(\.document) }
    }

    @Test("datasets: stored whole with their resources, found by words, updated and deleted; a refused one leaves nothing")
    func datasets() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.createOrganization(NewOrganization(name: "lab", title: "Lab", description: "", creator: nil))
            let ocean = Self.dataset("ocean-temps", notes: "buoy readings", resources: ["a", "b"])
            try await store.createDataset(ocean)
            #expect(Self.stored(try await store.dataset("ocean-temps")) == Self.stored(ocean))
            #expect(try await store.dataset(ocean.id)?.resources.map(\.name) == ["a", "b"])
            await #expect(throws: CatalogError.datasetExists("ocean-temps")) { try await store.createDataset(Self.dataset("ocean-temps")) }
            await #expect(throws: CatalogError.organizationMissing("nowhere")) {
                try await store.createDataset(Self.dataset("lost", organization: "nowhere", resources: ["r"]))
            }
            #expect(try await store.dataset("lost") == nil)
            #expect(try await store.searchDatasets(tokens: ["lost"], limit: 10).isEmpty)
            #expect(try await store.searchDatasets(tokens: ["buo"], limit: 10).map(\.name) == ["ocean-temps"])
            #expect(try await store.searchDatasets(tokens: ["buoy", "nothing"], limit: 10).isEmpty)

            // A change that throws changes nothing.
            await #expect(throws: CatalogError.organizationMissing("elsewhere")) {
                _ = try await store.updateDataset("ocean-temps") { $0.organization = "elsewhere" }
            }
            #expect(Self.stored(try await store.dataset("ocean-temps")) == Self.stored(ocean))
            let updated = try await store.updateDataset("ocean-temps") {
                $0.notes = "ship readings"
                $0.resources.removeFirst()
            }
            #expect(updated.resources.map(\.name) == ["b"])
            #expect(try await store.searchDatasets(tokens: ["buoy"], limit: 10).isEmpty)
            #expect(try await store.searchDatasets(tokens: ["ship"], limit: 10).map(\.resources.count) == [1])
            #expect(try await store.datasetCount() == 1)
            #expect(try await store.deleteDataset("ocean-temps")?.id == ocean.id)
            #expect(try await store.deleteDataset("ocean-temps") == nil)
            #expect(try await store.datasetCount() == 0)
        }
    }

    @Test("fifty concurrent updates of one dataset: none is lost")
    func concurrentUpdates() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.createOrganization(NewOrganization(name: "lab", title: "Lab", description: "", creator: nil))
            try await store.createDataset(Self.dataset("counter"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask { _ = try await store.updateDataset("counter") { $0.tags.append("t\(index)") } }
                }
                try await group.waitForAll()
            }
            #expect(try await store.dataset("counter")?.tags.count == 51)
        }
    }

    @Test("deleting an organization: refused while it has datasets, unless cascading, which removes them too")
    func cascade() async throws {
        try await Self.withStore { store, _ in
            _ = try await store.createOrganization(NewOrganization(name: "lab", title: "Lab", description: "", creator: nil))
            try await store.createDataset(Self.dataset("one", resources: ["r"]))
            await #expect(throws: CatalogError.organizationHasDatasets("lab", count: 1)) {
                try await store.deleteOrganization(named: "lab", cascade: false)
            }
            try await store.deleteOrganization(named: "lab", cascade: true)
            #expect(try await store.datasetCount() == 0)
            #expect(try await store.searchDatasets(tokens: ["one"], limit: 10).isEmpty)
        }
    }
}
