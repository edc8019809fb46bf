import Essentials
import Foundation
import Logging
import SQLiteNIO
import Testing

@testable import EPGateway

/// The catalog stores on real databases (an SQLite file; a PostgreSQL server when the test run
/// has one, as CI does): migrations, organizations, datasets, transactions and races. Every test
/// runs on each backend.
@Suite("Catalog stores")
struct CatalogStoreTests {
    @Test("the PostgreSQL store is tested whenever the run asks for it")
    func postgresIsNotSkippedSilently() {
        if CatalogBackendUnderTest.postgresRequired {
            #expect(CatalogBackendUnderTest.available.contains(.postgres), "REQUIRE_POSTGRES_TESTS=1 but CATALOG_TEST_POSTGRES_URL is unset")
        }
    }

    static let writer = CreatorStamp(userID: "7c64684b294a5055", md5: "md5")

    @Test("organizations: create, list with filters, refuse a duplicate, delete; reopening keeps them", arguments: CatalogBackendUnderTest.available)
    func organizations(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, scratch in
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
            let again = try await scratch.open()
            #expect(again.migratedFrom == scratch.latestVersion)
            #expect(try await again.store.organizationNames(containing: nil, createdBy: nil) == ["lab-a", "other"])
            try await again.store.close()

            try await store.deleteOrganization(named: "lab-a", cascade: false)
            await #expect(throws: CatalogError.organizationNotFound) { try await store.deleteOrganization(named: "lab-a", cascade: true) }
            #expect(try await store.organizationNames(containing: nil, createdBy: nil) == ["other"])
        }
    }

    @Test("twenty concurrent creations of one name: exactly one wins, the others are told it exists", arguments: CatalogBackendUnderTest.available)
    func race(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
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

    @Test("a database written by a newer release is refused, untouched", arguments: CatalogBackendUnderTest.available)
    func newerSchema(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, scratch in
            try await scratch.recordSchemaVersion(99)
            do {
                let opened = try await scratch.open()
                try? await opened.store.close()
                Issue.record("a newer schema was accepted")
            } catch let error as CatalogStartupError {
                #expect(error.description.contains("has schema version 99, newer than this ndp-ep-api knows (\(scratch.latestVersion))"))
            }
            #expect(try await store.organizationNames(containing: nil, createdBy: nil) == [])
        }
    }

    @Test("the services organization is made once, whoever starts first", arguments: CatalogBackendUnderTest.available)
    func servicesOrganization(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
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

    @Test(
        "datasets: stored whole with their resources, found by words, updated and deleted; a refused one leaves nothing",
        arguments: CatalogBackendUnderTest.available)
    func datasets(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
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

    @Test(
        "an update is stamped, may move the dataset to another organization, and is refused whole on a taken name",
        arguments: CatalogBackendUnderTest.available)
    func updateRules(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
            _ = try await store.createOrganization(NewOrganization(name: "lab", title: "Lab", description: "", creator: nil))
            _ = try await store.createOrganization(NewOrganization(name: "field", title: "Field", description: "", creator: nil))
            var old = Self.dataset("old")
            old.modified = Date(timeIntervalSince1970: 1_000_000)
            try await store.createDataset(old)
            try await store.createDataset(Self.dataset("taken"))

            let moved = try await store.updateDataset("old") { $0.organization = "field" }
            #expect(moved.modified > old.modified)
            #expect(try await store.dataset("old")?.organization == "field")
            #expect(try await store.searchDatasets(tokens: [], organization: "field", limit: 10).map(\.name) == ["old"])

            let before = Self.stored(try await store.dataset("old"))
            await #expect(throws: CatalogError.datasetExists("taken")) {
                _ = try await store.updateDataset("old") {
                    $0.name = "taken"
                    $0.notes = "renamed"
                }
            }
            #expect(Self.stored(try await store.dataset("old")) == before)
            await #expect(throws: CatalogError.datasetNotFound) { _ = try await store.updateDataset("nothing") { $0.notes = "x" } }
        }
    }

    @Test("fifty concurrent updates of one dataset: none is lost", arguments: CatalogBackendUnderTest.available)
    func concurrentUpdates(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
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

    @Test(
        "deleting an organization: refused while it has datasets, unless cascading, which removes them too",
        arguments: CatalogBackendUnderTest.available)
    func cascade(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
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

    @Test("resources: found by id and by filters, private ones only for their creator, counted, paged", arguments: CatalogBackendUnderTest.available)
    func resources(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
            _ = try await store.createOrganization(NewOrganization(name: "lab", title: "Lab", description: "", creator: nil))
            let open = Self.dataset("open-data", resources: ["alpha", "beta", "gamma"])
            var hidden = Self.dataset("hidden-data", resources: ["alpha-secret"])
            hidden.isPrivate = true
            hidden.creator = "owner"
            try await store.createDataset(open)
            try await store.createDataset(hidden)

            let found = try #require(try await store.resource(open.resources[1].id))
            #expect(found.resource.name == "beta" && found.dataset.name == "open-data")
            #expect(try await store.resource("no-such-resource") == nil)

            func names(_ query: ResourceQuery) async throws -> (Int, [String]) {
                let (count, hits) = try await store.searchResources(query)
                return (count, hits.map(\.resource.name))
            }
            var query = ResourceQuery(text: "ALPHA", limit: 10, offset: 0, privateVisibility: .none)
            #expect(try await names(query) == (1, ["alpha"]))
            query.privateVisibility = .createdBy("owner")
            #expect(try await names(query).0 == 2)
            query.privateVisibility = .createdBy("someone-else")
            #expect(try await names(query).0 == 1)
            query.privateVisibility = .all
            #expect(try await names(query).0 == 2)

            let paged = ResourceQuery(format: "csv", limit: 2, offset: 1, privateVisibility: .none)
            #expect(try await names(paged) == (3, ["beta", "gamma"]))
            let hit = try #require(
                try await store.searchResources(ResourceQuery(name: "gam", limit: 1, offset: 0, privateVisibility: .none)).hits.first)
            #expect(hit.datasetID == open.id && hit.datasetName == "open-data" && hit.datasetTitle == "Open-Data")
            #expect(try await names(ResourceQuery(url: "https://x/beta", limit: 5, offset: 0, privateVisibility: .none)) == (1, ["beta"]))
        }
    }

    @Test(
        "search tokens are data, never syntax: quotes, operators and backslashes find nothing and break nothing",
        arguments: CatalogBackendUnderTest.available)
    func hostileTokens(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
            _ = try await store.createOrganization(NewOrganization(name: "lab", title: "Lab", description: "", creator: nil))
            try await store.createDataset(Self.dataset("plain", notes: "ordinary words"))
            for token in ["o'brien", "a & b", "x | !y", "\\", "\"", "*", "' OR 1=1 --"] {
                #expect(try await store.searchDatasets(tokens: [token], limit: 10).isEmpty, "\(token)")
            }
            #expect(try await store.searchDatasets(tokens: ["ordin", "wor"], limit: 10).map(\.name) == ["plain"])
        }
    }

    @Test(
        "two stores on one database (two replicas): a name is taken once, updates through both are all kept",
        arguments: CatalogBackendUnderTest.available)
    func twoReplicas(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { first, scratch in
            let second = try await scratch.open().store
            do {
                _ = try await first.createOrganization(NewOrganization(name: "lab", title: "Lab", description: "", creator: nil))
                let outcomes = await withTaskGroup(of: Result<Void, CatalogError>.self) { group in
                    for index in 0..<20 {
                        let store = index.isMultiple(of: 2) ? first : second
                        group.addTask {
                            do {
                                try await store.createDataset(Self.dataset("shared-name"))
                                return .success(())
                            } catch let error as CatalogError {
                                return .failure(error)
                            } catch {
                                return .failure(.unavailable("\(error)"))
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(outcomes.filter { if case .success = $0 { true } else { false } }.count == 1)
                #expect(outcomes.filter { if case .failure(.datasetExists("shared-name")) = $0 { true } else { false } }.count == 19)

                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<30 {
                        let store = index.isMultiple(of: 2) ? first : second
                        group.addTask { _ = try await store.updateDataset("shared-name") { $0.tags.append("t\(index)") } }
                    }
                    try await group.waitForAll()
                }
                #expect(try await second.dataset("shared-name")?.tags.count == 31)
            } catch {
                try? await second.close()
                throw error
            }
            try await second.close()
        }
    }

    @Test(
        "sixty concurrent registrations, stored together: each gets its own answer, and exactly the right ones are kept",
        arguments: CatalogBackendUnderTest.available)
    func concurrentCreations(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
            _ = try await store.createOrganization(NewOrganization(name: "lab", title: "Lab", description: "", creator: nil))
            let outcomes = await withTaskGroup(of: (Int, String).self) { group in
                for index in 0..<60 {
                    let dataset =
                        switch index % 3 {
                        case 0: Self.dataset("same-name", resources: ["r\(index)"])
                        case 1: Self.dataset("orphan-\(index)", organization: "nowhere", resources: ["o\(index)"])
                        default: Self.dataset("unique-\(index)", notes: "batch member", resources: ["a", "b"])
                        }
                    group.addTask {
                        do {
                            try await store.createDataset(dataset)
                            return (index, "stored")
                        } catch let error as CatalogError {
                            return (index, "\(error)")
                        } catch {
                            return (index, "unexpected \(error)")
                        }
                    }
                }
                return await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            let sameName = (0..<60).filter { $0 % 3 == 0 }.map { outcomes[$0]! }
            #expect(sameName.filter { $0 == "stored" }.count == 1)
            #expect(sameName.filter { $0 == "\(CatalogError.datasetExists("same-name"))" }.count == 19)
            #expect((0..<60).filter { $0 % 3 == 1 }.allSatisfy { outcomes[$0] == "\(CatalogError.organizationMissing("nowhere"))" })
            #expect((0..<60).filter { $0 % 3 == 2 }.allSatisfy { outcomes[$0] == "stored" })
            #expect(try await store.datasetCount() == 21)
            let found = try await store.searchDatasets(tokens: ["batch", "member"], limit: 100)
            #expect(found.count == 20 && found.allSatisfy { $0.resources.map(\.name) == ["a", "b"] })
            let kept = try #require(try await store.dataset("same-name"))
            #expect(kept.resources.count == 1)
            #expect(try await store.searchResources(ResourceQuery(name: "o", limit: 100, offset: 0, privateVisibility: .all)).count == 0)
        }
    }

    @Test("an SQLite file of schema version 1 is migrated at start-up: its datasets stay searchable, and can be updated and deleted")
    func migrationFromVersion1() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-v1-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("catalog.sqlite").path
        let old = Self.dataset("old-set", notes: "archived glacier survey", resources: ["scan"])
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        for statement in SQLiteSchema.migrations[0] { _ = try await connection.query(statement) }
        for statement in [
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
            "INSERT INTO schema_migrations VALUES (1, 'then')",
            "INSERT INTO organizations (id, name, title, created) VALUES ('o1', 'lab', 'Lab', 'then')",
        ] {
            _ = try await connection.query(statement)
        }
        _ = try await connection.query(
            "INSERT INTO datasets (id, name, organization_id, document, created, modified) VALUES (?, 'old-set', 'o1', ?, 'then', 'then')",
            [.text(old.id), .text(String(decoding: old.document.bytes(), as: UTF8.self))])
        _ = try await connection.query("INSERT INTO dataset_words (dataset_id, words) VALUES (?, ?)", [.text(old.id), .text(old.words)])
        try await connection.close()

        let opened = try await SQLiteCatalogStore.open(path: path, logger: Logger(label: "test"))
        let store = opened.store
        do {
            #expect(opened.migratedFrom == 1)
            #expect(try await store.searchDatasets(tokens: ["glacier"], limit: 10).map(\.name) == ["old-set"])
            _ = try await store.updateDataset("old-set") { $0.notes = "archived ice survey" }
            #expect(try await store.searchDatasets(tokens: ["glacier"], limit: 10).isEmpty)
            #expect(try await store.searchDatasets(tokens: ["ice"], limit: 10).map(\.name) == ["old-set"])
            #expect(try await store.deleteDataset("old-set") != nil)
            #expect(try await store.searchDatasets(tokens: ["ice"], limit: 10).isEmpty)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    @Test("search narrowed to one organization, with words or without", arguments: CatalogBackendUnderTest.available)
    func searchInOneOrganization(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
            for name in ["lab", "other"] {
                _ = try await store.createOrganization(NewOrganization(name: name, title: name, description: "", creator: nil))
            }
            try await store.createDataset(Self.dataset("lab-set", organization: "lab", notes: "shared words"))
            try await store.createDataset(Self.dataset("other-set", organization: "other", notes: "shared words"))
            #expect(try await store.searchDatasets(tokens: ["shared"], organization: "lab", limit: 10).map(\.name) == ["lab-set"])
            #expect(try await store.searchDatasets(tokens: [], organization: "other", limit: 10).map(\.name) == ["other-set"])
            #expect(try await store.searchDatasets(tokens: ["shared"], organization: "nowhere", limit: 10).isEmpty)
            #expect(Set(try await store.searchDatasets(tokens: ["shared"], limit: 10).map(\.name)) == ["lab-set", "other-set"])
        }
    }

    @Test(
        "dataset queries: field filters, private visibility, order, pages and the count (CKAN's package_search)",
        arguments: CatalogBackendUnderTest.available)
    func datasetQueries(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { store, _ in
            let lab = try await store.createOrganization(NewOrganization(name: "lab", title: "Lab", description: "", creator: nil))
            _ = try await store.createOrganization(NewOrganization(name: "other", title: "Other", description: "", creator: nil))
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            for index in 0..<12 {
                var dataset = Self.dataset(String(format: "set-%02d", index), organization: index % 3 == 0 ? "other" : "lab", notes: "common words")
                dataset.created = start.addingTimeInterval(Double(index))
                dataset.modified = start.addingTimeInterval(Double(100 - index))
                dataset.tags = index % 2 == 0 ? ["even", "t"] : ["odd"]
                dataset.groups = index == 5 ? ["climate"] : []
                dataset.licenseID = index == 7 ? "cc-by" : nil
                dataset.isPrivate = index >= 10
                dataset.creator = index == 10 ? "me" : "someone"
                dataset.extras = [.init(key: "site", value: .string(index < 4 ? "north" : "south")), .init(key: "n", value: .number(Double(index)))]
                dataset.resources = [
                    CatalogResource(
                        id: "r\(index)", url: "https://x/\(index)", name: "f", format: index == 4 ? "NetCDF" : "CSV", description: "", created: start)
                ]
                try await store.createDataset(dataset)
            }
            func names(_ query: DatasetQuery) async throws -> [String] { try await store.searchDatasets(query).datasets.map(\.name) }
            // Newest first by default; pages neither overlap nor skip; the count is of every match.
            let first = try await store.searchDatasets(DatasetQuery(visibility: .none, limit: 4, counting: true))
            #expect(first.count == 10)
            #expect(first.datasets.map(\.name) == ["set-09", "set-08", "set-07", "set-06"])
            #expect(try await names(DatasetQuery(visibility: .none, limit: 4, offset: 8)) == ["set-01", "set-00"])
            #expect(try await store.searchDatasets(DatasetQuery(visibility: .none, limit: 4)).count == nil)
            // The last page tells the count itself; a page past the end still counts.
            #expect(try await store.searchDatasets(DatasetQuery(visibility: .none, limit: 4, offset: 8, counting: true)).count == 10)
            #expect(try await store.searchDatasets(DatasetQuery(visibility: .none, limit: 4, offset: 20, counting: true)).count == 10)
            #expect(try await store.searchDatasets(DatasetQuery(visibility: .none, limit: 0, counting: true)).count == 10)
            // Private datasets: none, the caller's own, all.
            #expect(try await store.searchDatasets(DatasetQuery(visibility: .createdBy("me"), limit: 1, counting: true)).count == 11)
            #expect(try await store.searchDatasets(DatasetQuery(visibility: .all, limit: 1, counting: true)).count == 12)
            #expect(try await names(DatasetQuery(filters: [.isPrivate(true)], visibility: .createdBy("me"), limit: 10)) == ["set-10"])
            // Orders.
            #expect(try await names(DatasetQuery(visibility: .none, order: [DatasetOrder(.name)], limit: 3)) == ["set-00", "set-01", "set-02"])
            #expect(
                try await names(DatasetQuery(visibility: .none, order: [DatasetOrder(.title, descending: true)], limit: 2)) == ["set-09", "set-08"])
            #expect(
                try await names(DatasetQuery(visibility: .none, order: [DatasetOrder(.modified, descending: true)], limit: 2)) == [
                    "set-00", "set-01",
                ])
            #expect(try await names(DatasetQuery(visibility: .none, order: [DatasetOrder(.created)], limit: 2)) == ["set-00", "set-01"])
            // Field filters, alone and together, with words.
            let sorted = [DatasetOrder(.name)]
            #expect(
                try await names(DatasetQuery(filters: [.organization("other")], order: sorted, limit: 10)) == [
                    "set-00", "set-03", "set-06", "set-09",
                ])
            #expect(
                try await names(DatasetQuery(filters: [.organization(lab.id), .tag("even")], order: sorted, limit: 10)) == [
                    "set-02", "set-04", "set-08", "set-10",
                ])
            #expect(try await names(DatasetQuery(filters: [.group("climate")], limit: 10)) == ["set-05"])
            #expect(try await names(DatasetQuery(filters: [.resourceFormat("netcdf")], limit: 10)) == ["set-04"])
            #expect(try await names(DatasetQuery(filters: [.license("cc-by")], limit: 10)) == ["set-07"])
            #expect(
                try await names(DatasetQuery(filters: [.extra(key: "site", value: "north"), .tag("odd")], order: sorted, limit: 10)) == [
                    "set-01", "set-03",
                ])
            #expect(try await names(DatasetQuery(filters: [.extra(key: "n", value: "3")], limit: 10)).isEmpty)
            #expect(try await names(DatasetQuery(filters: [.name("set-11")], limit: 10)) == ["set-11"])
            let eleven = try #require(try await store.dataset("set-11"))
            #expect(try await names(DatasetQuery(filters: [.id(eleven.id)], limit: 10)) == ["set-11"])
            #expect(try await names(DatasetQuery(words: ["comm"], filters: [.tag("nothing")], limit: 10)).isEmpty)
            let counted = try await store.searchDatasets(
                DatasetQuery(words: ["common"], filters: [.tag("odd")], visibility: .none, limit: 2, counting: true))
            #expect(counted.count == 5)
            #expect(counted.datasets.count == 2)
            // Organizations with their public datasets.
            let summaries = try await store.organizationSummaries()
            #expect(summaries.map(\.organization.name).filter { $0 != Catalog.servicesOrganization } == ["lab", "other"])
            #expect(summaries.first { $0.organization.name == "lab" }?.publicDatasets == 6)
            #expect(summaries.first { $0.organization.name == "other" }?.publicDatasets == 4)
        }
    }
}
