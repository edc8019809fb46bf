import Essentials
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLiteNIO
import ServiceKit

/// The catalog in one SQLite file (`CATALOG_SQLITE_PATH`), the default: nothing to install.
///
/// One writer connection behind a queue that runs one write transaction at a time (SQLite
/// allows one writer; waiting here is cheaper than its busy loop) and stores concurrent
/// registrations together (``SQLiteWriter``), and a few reader connections, which WAL mode lets
/// read while a write is in progress.
final class SQLiteCatalogStore: CatalogStore {
    let path: String
    private let writer: SQLiteWriter
    private let readers: [SQLiteConnection]
    private let nextReader = AtomicCounter()

    /// The schema the file was found at and the one it is now, for the start-up log line.
    struct Opened {
        let store: SQLiteCatalogStore
        let migratedFrom: Int
    }

    private init(path: String, writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.path = path
        self.writer = SQLiteWriter(connection: writer, batchInsert: Self.insertBatch)
        self.readers = readers
    }

    /// Opens (creating the file and its folder when missing) and migrates to the latest schema.
    /// A file whose schema is newer than this binary knows is refused, untouched.
    static func open(path: String, readers readerCount: Int = 2, logger: Logger) async throws -> Opened {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CatalogStartupError(message: "cannot create the folder of CATALOG_SQLITE_PATH \(path): \(error.localizedDescription)")
        }
        let writer: SQLiteConnection
        do {
            writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw CatalogStartupError(message: "cannot open the catalog database \(path): \(error)")
        }
        var readers: [SQLiteConnection] = []
        do {
            for statement in SQLiteSchema.connectionPragmas { _ = try await writer.query(statement) }
            let found = try await migrate(writer, path: path)
            for _ in 0..<max(1, readerCount) {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                readers.append(reader)
                for statement in SQLiteSchema.connectionPragmas { _ = try await reader.query(statement) }
            }
            return Opened(store: SQLiteCatalogStore(path: path, writer: writer, readers: readers), migratedFrom: found)
        } catch {
            for connection in readers + [writer] { try? await connection.close() }
            throw error
        }
    }

    /// Applies the migrations the file lacks, in one transaction taken before the version is
    /// read, so two processes opening a new file at once cannot both migrate it. Returns the
    /// version found.
    private static func migrate(_ connection: SQLiteConnection, path: String) async throws -> Int {
        try await SQLiteWriter.inTransaction(connection) { connection in
            _ = try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            let found =
                try await connection.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").first?
                .column("version")?.integer ?? 0
            guard found <= SQLiteSchema.latestVersion else {
                throw CatalogStartupError.newerSchema(database: path, found: found, known: SQLiteSchema.latestVersion)
            }
            for version in (found + 1)..<(SQLiteSchema.latestVersion + 1) {
                do {
                    for statement in SQLiteSchema.migrations[version - 1] { _ = try await connection.query(statement) }
                } catch {
                    throw CatalogStartupError.migrationFailed(database: path, version: version, reason: "\(error)")
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [.integer(version), .text(Timestamp.isoUTC(Date()))])
            }
            return found
        }
    }

    // MARK: Running statements

    private var reader: SQLiteConnection { readers[nextReader.next() % readers.count] }

    func read(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do {
            return try await reader.query(sql, binds)
        } catch let error as SQLiteError {
            throw CatalogError.unavailable("\(error)")
        }
    }

    /// `body` inside `BEGIN IMMEDIATE … COMMIT` on the writer; any error rolls everything back.
    func transaction<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> Value) async throws -> Value {
        try await writer.transaction(body)
    }

    // MARK: Organizations

    func organizationNames(containing: String?, createdBy: String?) async throws -> [String] {
        var sql = "SELECT name FROM organizations WHERE 1 = 1"
        var binds: [SQLiteData] = []
        if let containing, !containing.isEmpty {
            sql += " AND instr(lower(name), lower(?)) > 0"
            binds.append(.text(containing))
        }
        if let createdBy {
            sql += " AND creator_user_id = ?"
            binds.append(.text(createdBy))
        }
        return try await read(sql + " ORDER BY name", binds).compactMap { $0.column("name")?.string }
    }

    func createOrganization(_ organization: NewOrganization) async throws -> CatalogOrganization {
        let created = CatalogOrganization(
            id: CatalogID.make(), name: organization.name, title: organization.title, description: organization.description,
            creator: organization.creator, created: Date())
        do {
            try await transaction { connection in
                _ = try await connection.query(
                    "INSERT INTO organizations (id, name, title, description, creator_user_id, creator_md5, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        .text(created.id), .text(created.name), .text(created.title), .text(created.description),
                        created.creator.map { .text($0.userID) } ?? .null, created.creator.map { .text($0.md5) } ?? .null,
                        .text(Timestamp.isoUTC(created.created)),
                    ])
            }
        } catch let error as SQLiteError where error.isNameClash {
            throw CatalogError.organizationExists(organization.name)
        }
        return created
    }

    func organization(named name: String) async throws -> CatalogOrganization? {
        try await read("SELECT * FROM organizations WHERE name = ?", [.text(name)]).first.map(Self.organization)
    }

    func deleteOrganization(named name: String, cascade: Bool) async throws {
        try await transaction { connection in
            guard let id = try await connection.query("SELECT id FROM organizations WHERE name = ?", [.text(name)]).first?.column("id")?.string
            else { throw CatalogError.organizationNotFound }
            let count =
                try await connection.query("SELECT COUNT(*) AS n FROM datasets WHERE organization_id = ?", [.text(id)]).first?
                .column("n")?.integer ?? 0
            if count > 0 {
                guard cascade else { throw CatalogError.organizationHasDatasets(name, count: count) }
                for row in try await connection.query("SELECT id FROM datasets WHERE organization_id = ?", [.text(id)]) {
                    if let datasetID = row.column("id")?.string { try await Self.remove(datasetID, on: connection) }
                }
            }
            _ = try await connection.query("DELETE FROM organizations WHERE id = ?", [.text(id)])
        }
    }

    // MARK: Datasets

    func createDataset(_ dataset: CatalogDataset) async throws -> CatalogDataset {
        try await writer.create(SQLiteDatasetRow(dataset))
        return dataset
    }

    /// Stores a batch of new datasets inside the writer's open transaction, a few statements for
    /// all of them: the datasets whose name is free and whose organization exists (`INSERT OR
    /// IGNORE … JOIN organizations … RETURNING id` says which), then their resources and words.
    /// The others get their own answer: the name is taken, or the organization is missing.
    static func insertBatch(_ connection: SQLiteConnection, _ rows: [SQLiteDatasetRow]) async throws -> [Result<Void, CatalogError>] {
        var inserted = Set<String>()
        for chunk in chunks(of: rows, size: 500) {
            let returned = try await connection.query(
                """
                INSERT OR IGNORE INTO datasets (id, name, organization_id, private, creator_user_id, document, created, modified)
                SELECT v.column1, v.column2, o.id, v.column4, v.column5, v.column6, v.column7, v.column8
                FROM (VALUES \(placeholders(rows: chunk.count, columns: 8))) AS v JOIN organizations o ON o.name = v.column3
                RETURNING id
                """, chunk.flatMap { datasetValues($0, organization: $0.dataset.organization) })
            for row in returned { if let id = row.column("id")?.string { inserted.insert(id) } }
        }
        let stored = rows.filter { inserted.contains($0.dataset.id) }
        try await insertResources(of: stored, on: connection)
        try await insertWords(of: stored, on: connection)
        // Only when something was refused: which organizations exist tells the two reasons apart.
        let refusedOrganizations = Set(rows.filter { !inserted.contains($0.dataset.id) }.map(\.dataset.organization))
        var existing = Set<String>()
        if !refusedOrganizations.isEmpty {
            let found = try await connection.query(
                "SELECT name FROM organizations WHERE name IN \(placeholders(rows: 1, columns: refusedOrganizations.count))",
                refusedOrganizations.map { .text($0) })
            existing = Set(found.compactMap { $0.column("name")?.string })
        }
        return rows.map { row in
            if inserted.contains(row.dataset.id) { return .success(()) }
            return .failure(
                existing.contains(row.dataset.organization) ? .datasetExists(row.dataset.name) : .organizationMissing(row.dataset.organization))
        }
    }

    /// A `datasets` row's eight values, `organization` third (its id, or its name to join on).
    private static func datasetValues(_ row: SQLiteDatasetRow, organization: String) -> [SQLiteData] {
        let dataset = row.dataset
        return [
            .text(dataset.id), .text(dataset.name), .text(organization), .integer(dataset.isPrivate ? 1 : 0),
            dataset.creator.map { .text($0) } ?? .null,
            .text(row.document), .text(Timestamp.isoUTC(dataset.created)), .text(Timestamp.isoUTC(dataset.modified)),
        ]
    }

    /// The datasets' words into the full-text index, under a stable row number each.
    private static func insertWords(of rows: [SQLiteDatasetRow], on connection: SQLiteConnection) async throws {
        for chunk in chunks(of: rows, size: 1000) {
            _ = try await connection.query(
                "INSERT INTO dataset_search_rows (dataset_id) VALUES \(placeholders(rows: chunk.count, columns: 1))",
                chunk.map { .text($0.dataset.id) })
            _ = try await connection.query(
                """
                INSERT INTO dataset_text (rowid, words)
                SELECT r.row, v.column2 FROM (VALUES \(placeholders(rows: chunk.count, columns: 2))) AS v
                JOIN dataset_search_rows r ON r.dataset_id = v.column1
                """, chunk.flatMap { [.text($0.dataset.id), .text($0.words)] })
        }
    }

    /// The resources of `rows`, many a statement.
    private static func insertResources(of rows: [SQLiteDatasetRow], on connection: SQLiteConnection) async throws {
        let resources = rows.flatMap { row in
            zip(row.dataset.resources, row.resourceDocuments).enumerated().map { (row.dataset.id, $0.offset, $0.element.0, $0.element.1) }
        }
        for chunk in chunks(of: resources, size: 1000) {
            _ = try await connection.query(
                "INSERT INTO resources (id, dataset_id, position, name, url, format, description, document) VALUES \(placeholders(rows: chunk.count, columns: 8))",
                chunk.flatMap { datasetID, position, resource, document -> [SQLiteData] in
                    [
                        .text(resource.id), .text(datasetID), .integer(position), .text(resource.name), .text(resource.url), .text(resource.format),
                        .text(resource.description), .text(document),
                    ]
                })
        }
    }

    /// `(?, ?), (?, ?)` for a multi-row VALUES; one row of them is an `IN` list.
    private static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// SQLite takes at most 32,766 values a statement: big batches go in slices.
    private static func chunks<Element>(of elements: [Element], size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: elements.count, by: size).map { elements[$0..<min($0 + size, elements.count)] }
    }

    func dataset(_ idOrName: String) async throws -> CatalogDataset? {
        guard let row = try await read("SELECT document FROM datasets WHERE id = ? OR name = ?", [.text(idOrName), .text(idOrName)]).first
        else { return nil }
        return try await load([row], using: reader).first
    }

    func updateDataset(_ idOrName: String, _ change: @escaping @Sendable (inout CatalogDataset) throws -> Void) async throws -> CatalogDataset {
        try await transaction { [self] connection in
            try await DatasetUpdate.apply(to: idOrName, change, using: UpdateSteps(store: self, connection: connection))
        }
    }

    /// An update's SQL, on the writer inside its transaction (`BEGIN IMMEDIATE` already holds
    /// the write lock, so the read needs none of its own).
    private struct UpdateSteps: DatasetUpdateSteps {
        let store: SQLiteCatalogStore
        let connection: SQLiteConnection

        func lockedDataset(_ idOrName: String) async throws -> (dataset: CatalogDataset, organizationID: String)? {
            let rows = try await connection.query(
                "SELECT document, organization_id FROM datasets WHERE id = ? OR name = ?", [.text(idOrName), .text(idOrName)])
            guard let row = rows.first, let dataset = try await store.load([row], using: connection).first else { return nil }
            return (dataset, row.column("organization_id")?.string ?? "")
        }

        func organizationID(named name: String) async throws -> String {
            try await SQLiteCatalogStore.organizationID(name, on: connection)
        }

        func replace(_ stored: CatalogDataset, with dataset: CatalogDataset, organizationID: String) async throws {
            try await SQLiteCatalogStore.remove(stored.id, on: connection)
            do {
                try await SQLiteCatalogStore.insert(dataset, organizationID: organizationID, on: connection)
            } catch let error as SQLiteError where error.isNameClash {
                throw DatasetNameClash()
            }
        }
    }

    func deleteDataset(_ idOrName: String) async throws -> CatalogDataset? {
        try await transaction { [self] connection in
            let rows = try await connection.query("SELECT document FROM datasets WHERE id = ? OR name = ?", [.text(idOrName), .text(idOrName)])
            guard let dataset = try await load(rows, using: connection).first else { return nil }
            try await Self.remove(dataset.id, on: connection)
            return dataset
        }
    }

    func searchDatasets(_ query: DatasetQuery) async throws -> DatasetPage {
        var from = "FROM datasets d"
        var conditions: [String] = []
        var binds: [SQLiteData] = []
        if !query.words.isEmpty {
            from += " JOIN dataset_search_rows r ON r.dataset_id = d.id JOIN dataset_text t ON t.rowid = r.row"
            // Each token a quoted prefix query; FTS5 ANDs them. Quotes inside are doubled.
            conditions.append("dataset_text MATCH ?")
            binds.append(.text(query.words.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"*" }.joined(separator: " AND ")))
        }
        for filter in query.filters {
            let (condition, values) = Self.condition(filter)
            conditions.append(condition)
            binds += values
        }
        switch query.visibility {
        case .none: conditions.append("d.private = 0")
        case .createdBy(let creator):
            conditions.append("(d.private = 0 OR d.creator_user_id = ?)")
            binds.append(.text(creator))
        case .all: break
        }
        if !conditions.isEmpty { from += " WHERE " + conditions.joined(separator: " AND ") }
        let order = (query.order.map { "\(Self.column($0.field)) \($0.descending ? "DESC" : "ASC")" } + ["d.id"]).joined(separator: ", ")
        let rows = try await read(
            "SELECT d.document \(from) ORDER BY \(order) LIMIT ? OFFSET ?", binds + [.integer(query.limit), .integer(query.offset)])
        var count = query.countFromPage(rows.count)
        if query.counting, count == nil { count = try await read("SELECT COUNT(*) AS n \(from)", binds).first?.column("n")?.integer ?? 0 }
        return DatasetPage(count: count, datasets: try await load(rows, using: reader))
    }

    private static func column(_ field: DatasetOrder.Field) -> String {
        switch field {
        case .name: "d.name"
        case .title: "json_extract(d.document, '$.title')"
        case .created: "d.created"
        case .modified: "d.modified"
        }
    }

    private static func condition(_ filter: DatasetFilter) -> (String, [SQLiteData]) {
        switch filter {
        case .id(let id): ("d.id = ?", [.text(id)])
        case .name(let name): ("d.name = ?", [.text(name)])
        case .organization(let organization):
            ("d.organization_id = (SELECT id FROM organizations WHERE name = ? OR id = ?)", [.text(organization), .text(organization)])
        case .tag(let tag): ("EXISTS (SELECT 1 FROM json_each(d.document, '$.tags') WHERE value = ?)", [.text(tag)])
        case .group(let group): ("EXISTS (SELECT 1 FROM json_each(d.document, '$.groups') WHERE value = ?)", [.text(group)])
        case .resourceFormat(let format):
            ("EXISTS (SELECT 1 FROM resources f WHERE f.dataset_id = d.id AND lower(f.format) = ?)", [.text(format.lowercased())])
        case .license(let license): ("json_extract(d.document, '$.license_id') = ?", [.text(license)])
        case .extra(let key, let value):
            (
                "EXISTS (SELECT 1 FROM json_each(d.document, '$.extras') e WHERE json_extract(e.value, '$.key') = ? AND json_extract(e.value, '$.value') = ?)",
                [.text(key), .text(value)]
            )
        case .isPrivate(let isPrivate): ("d.private = ?", [.integer(isPrivate ? 1 : 0)])
        }
    }

    func publicDatasetNames(limit: Int, offset: Int) async throws -> [String] {
        try await read("SELECT name FROM datasets WHERE private = 0 ORDER BY name LIMIT ? OFFSET ?", [.integer(limit), .integer(offset)])
            .compactMap { $0.column("name")?.string }
    }

    func organizationSummaries() async throws -> [OrganizationSummary] {
        try await read(
            """
            SELECT o.*, (SELECT COUNT(*) FROM datasets d WHERE d.organization_id = o.id AND d.private = 0) AS public_datasets
            FROM organizations o ORDER BY o.name
            """
        ).map { OrganizationSummary(organization: Self.organization($0), publicDatasets: $0.column("public_datasets")?.integer ?? 0) }
    }

    func resource(_ id: String) async throws -> (resource: CatalogResource, dataset: CatalogDataset)? {
        guard
            let row = try await read(
                "SELECT d.document AS document FROM resources r JOIN datasets d ON d.id = r.dataset_id WHERE r.id = ?", [.text(id)]
            ).first,
            let dataset = try await load([row], using: reader).first, let resource = dataset.resources.first(where: { $0.id == id })
        else { return nil }
        return (resource, dataset)
    }

    func searchResources(_ query: ResourceQuery) async throws -> (count: Int, hits: [ResourceHit]) {
        var conditions: [String] = []
        var binds: [SQLiteData] = []
        func contains(_ column: String, _ value: String) {
            conditions.append("instr(lower(\(column)), ?) > 0")
            binds.append(.text(value.lowercased()))
        }
        if let text = query.text, !text.isEmpty {
            conditions.append("(instr(lower(r.name), ?) > 0 OR instr(lower(r.url), ?) > 0 OR instr(lower(r.description), ?) > 0)")
            binds += Array(repeating: .text(text.lowercased()), count: 3)
        }
        if let name = query.name { contains("r.name", name) }
        if let url = query.url { contains("r.url", url) }
        if let description = query.description { contains("r.description", description) }
        if let format = query.format {
            conditions.append("lower(r.format) = ?")
            binds.append(.text(format.lowercased()))
        }
        switch query.privateVisibility {
        case .none: conditions.append("d.private = 0")
        case .createdBy(let creator):
            conditions.append("(d.private = 0 OR d.creator_user_id = ?)")
            binds.append(.text(creator))
        case .all: break
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let from = "FROM resources r JOIN datasets d ON d.id = r.dataset_id \(filter)"
        let count = try await read("SELECT COUNT(*) AS n \(from)", binds).first?.column("n")?.integer ?? 0
        let rows = try await read(
            """
            SELECT r.document AS document, d.id AS dataset_id, d.name AS dataset_name, json_extract(d.document, '$.title') AS dataset_title,
                   d.private AS dataset_private, d.creator_user_id AS dataset_creator
            \(from) ORDER BY d.created, d.id, r.position LIMIT ? OFFSET ?
            """, binds + [.integer(query.limit), .integer(query.offset)])
        let hits = rows.compactMap { row -> ResourceHit? in
            guard let resource = row.column("document")?.string.flatMap(CatalogResource.init(storedText:)) else { return nil }
            return ResourceHit(
                resource: resource, datasetID: row.column("dataset_id")?.string ?? "", datasetName: row.column("dataset_name")?.string ?? "",
                datasetTitle: row.column("dataset_title")?.string ?? "", datasetIsPrivate: row.column("dataset_private")?.integer == 1,
                datasetCreator: row.column("dataset_creator")?.string)
        }
        return (count, hits)
    }

    /// Datasets from their rows' `document`, with their resources (one query for all).
    private func load(_ rows: [SQLiteRow], using connection: SQLiteConnection) async throws -> [CatalogDataset] {
        let stored = StoredDatasets(texts: rows.compactMap { $0.column("document")?.string })
        let ids = stored.ids
        guard !ids.isEmpty else { return [] }
        let found = try await connection.query(
            "SELECT dataset_id, document FROM resources WHERE dataset_id IN \(Self.placeholders(rows: 1, columns: ids.count)) ORDER BY dataset_id, position",
            ids.map { .text($0) })
        return stored.assemble(
            resources: found.compactMap { row in
                guard let datasetID = row.column("dataset_id")?.string, let text = row.column("document")?.string else { return nil }
                return (datasetID, text)
            })
    }

    /// The id of the organization a dataset names; ``CatalogError/organizationMissing(_:)`` if none.
    private static func organizationID(_ name: String, on connection: SQLiteConnection) async throws -> String {
        guard let id = try await connection.query("SELECT id FROM organizations WHERE name = ?", [.text(name)]).first?.column("id")?.string
        else { throw CatalogError.organizationMissing(name) }
        return id
    }

    private static func insert(_ dataset: CatalogDataset, organizationID: String, on connection: SQLiteConnection) async throws {
        let row = SQLiteDatasetRow(dataset)
        _ = try await connection.query(
            """
            INSERT INTO datasets (id, name, organization_id, private, creator_user_id, document, created, modified)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, datasetValues(row, organization: organizationID))
        try await insertResources(of: [row], on: connection)
        try await insertWords(of: [row], on: connection)
    }

    private static func remove(_ id: String, on connection: SQLiteConnection) async throws {
        _ = try await connection.query(
            "DELETE FROM dataset_text WHERE rowid = (SELECT row FROM dataset_search_rows WHERE dataset_id = ?)", [.text(id)])
        _ = try await connection.query("DELETE FROM dataset_search_rows WHERE dataset_id = ?", [.text(id)])
        _ = try await connection.query("DELETE FROM resources WHERE dataset_id = ?", [.text(id)])
        _ = try await connection.query("DELETE FROM datasets WHERE id = ?", [.text(id)])
    }

    func datasetCount() async throws -> Int {
        try await read("SELECT COUNT(*) AS n FROM datasets").first?.column("n")?.integer ?? 0
    }

    func refreshStatistics() async throws {
        try await transaction { connection in _ = try await connection.query("ANALYZE") }
    }

    func ping() async throws {
        _ = try await read("SELECT 1")
    }

    func close() async throws {
        for connection in readers + [writer.connection] { try await connection.close() }
    }

    private static func organization(_ row: SQLiteRow) -> CatalogOrganization {
        let userID = row.column("creator_user_id")?.string
        let md5 = row.column("creator_md5")?.string
        return CatalogOrganization(
            id: row.column("id")?.string ?? "", name: row.column("name")?.string ?? "", title: row.column("title")?.string ?? "",
            description: row.column("description")?.string ?? "",
            creator: userID.map { CreatorStamp(userID: $0, md5: md5 ?? "") },
            created: CatalogTime.parse(row.column("created")?.string))
    }
}

/// Round-robin over the reader connections.
final class AtomicCounter: Sendable {
    private let value = NIOLockedValueBox(0)

    func next() -> Int {
        value.withLockedValue { value in
            value &+= 1
            return value & Int.max
        }
    }
}

extension SQLiteError {
    /// A UNIQUE constraint refused the row: the name is taken (perhaps by a concurrent write).
    var isNameClash: Bool { reason == .constraintUniqueFailed || reason == .constraint }
    /// The database, not the statement, failed: locked, busy, an I/O error, read-only.
    var isUnavailability: Bool {
        switch reason {
        case .busy, .busyTimeout, .busyInRecovery, .locked, .readOnly, .cantOpen, .ioError, .ioErrorFailedWrite, .ioErrorFailedSync,
            .ioErrorFailedRead, .ioErrorIncompleteRead, .ioErrorFailedTruncate:
            true
        default:
            false
        }
    }
}
