import Essentials
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLiteNIO
import ServiceKit

/// The catalog in one SQLite file (`CATALOG_SQLITE_PATH`), the default: nothing to install.
///
/// One writer connection, used by one write transaction at a time (SQLite allows one writer;
/// waiting here is cheaper than its busy loop), and a few reader connections, which WAL mode lets
/// read while a write is in progress.
final class SQLiteCatalogStore: CatalogStore {
    let path: String
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let writes = KeyedMutex<Int>()
    private let nextReader = AtomicCounter()

    /// The schema the file was found at and the one it is now, for the start-up log line.
    struct Opened {
        let store: SQLiteCatalogStore
        let migratedFrom: Int
    }

    private init(path: String, writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.path = path
        self.writer = writer
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
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            _ = try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            let found =
                try await connection.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").first?
                .column("version")?.integer ?? 0
            guard found <= SQLiteSchema.latestVersion else {
                throw CatalogStartupError(
                    message:
                        "the catalog database \(path) has schema version \(found), newer than this ndp-ep-api knows (\(SQLiteSchema.latestVersion)); run the release that wrote it, or restore a backup"
                )
            }
            for version in (found + 1)..<(SQLiteSchema.latestVersion + 1) {
                do {
                    for statement in SQLiteSchema.migrations[version - 1] { _ = try await connection.query(statement) }
                } catch {
                    throw CatalogStartupError(message: "migrating the catalog database \(path) to schema version \(version) failed: \(error)")
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [.integer(version), .text(Timestamp.isoUTC(Date()))])
            }
            _ = try await connection.query("COMMIT")
            return found
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    // MARK: Running statements

    private var reader: SQLiteConnection { readers[nextReader.next() % readers.count] }

    private func read(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do {
            return try await reader.query(sql, binds)
        } catch let error as SQLiteError {
            throw CatalogError.unavailable("\(error)")
        }
    }

    /// `body` inside `BEGIN IMMEDIATE … COMMIT`; any error rolls everything back.
    private func transaction<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> Value) async throws -> Value {
        try await writes.withLock(0) { [writer] in
            _ = try await writer.query("BEGIN IMMEDIATE")
            do {
                let value = try await body(writer)
                _ = try await writer.query("COMMIT")
                return value
            } catch {
                _ = try? await writer.query("ROLLBACK")
                throw error
            }
        }
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
            id: UUID().uuidString.lowercased(), name: organization.name, title: organization.title, description: organization.description,
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
        } catch let error as SQLiteError where error.reason == .constraintUniqueFailed || error.reason == .constraint {
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
                _ = try await connection.query(
                    "DELETE FROM dataset_words WHERE dataset_id IN (SELECT id FROM datasets WHERE organization_id = ?)", [.text(id)])
                _ = try await connection.query("DELETE FROM datasets WHERE organization_id = ?", [.text(id)])
            }
            _ = try await connection.query("DELETE FROM organizations WHERE id = ?", [.text(id)])
        }
    }

    func datasetCount() async throws -> Int {
        try await read("SELECT COUNT(*) AS n FROM datasets").first?.column("n")?.integer ?? 0
    }

    func ping() async throws {
        _ = try await read("SELECT 1")
    }

    func close() async throws {
        for connection in readers + [writer] { try await connection.close() }
    }

    private static func organization(_ row: SQLiteRow) -> CatalogOrganization {
        let userID = row.column("creator_user_id")?.string
        let md5 = row.column("creator_md5")?.string
        return CatalogOrganization(
            id: row.column("id")?.string ?? "", name: row.column("name")?.string ?? "", title: row.column("title")?.string ?? "",
            description: row.column("description")?.string ?? "",
            creator: userID.map { CreatorStamp(userID: $0, md5: md5 ?? "") },
            created: row.column("created")?.string.flatMap(Self.parseTimestamp) ?? Date(timeIntervalSince1970: 0))
    }

    private static func parseTimestamp(_ text: String) -> Date? {
        try? Date(text.replacingOccurrences(of: "+00:00", with: "Z"), strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}

/// The catalog cannot start (a database that cannot be opened, or is newer than this binary):
/// one line and exit 78, from the launcher.
struct CatalogStartupError: StartupFailure {
    let message: String
    var kind: String { "catalog error" }
    var description: String { message }
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
