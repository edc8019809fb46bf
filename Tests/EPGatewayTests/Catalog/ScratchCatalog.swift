import Essentials
import Foundation
import Logging
import PostgresNIO
import SQLiteNIO
import Testing

@testable import EPGateway

/// The catalog backends the store suite runs on: SQLite always; PostgreSQL when
/// `CATALOG_TEST_POSTGRES_URL` names a server (scripts/test.sh starts a throw-away one and sets
/// `REQUIRE_POSTGRES_TESTS=1`, so CI cannot skip it by accident).
enum CatalogBackendUnderTest: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static let postgresURL = ProcessInfo.processInfo.environment["CATALOG_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let postgresRequired = ProcessInfo.processInfo.environment["REQUIRE_POSTGRES_TESTS"] == "1"

    static var available: [Self] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }
}

/// A fresh, empty catalog database of one backend: a file in a new folder, or a new database
/// on the test server. `open()` may be called again for a second store on the same data.
struct ScratchCatalog: Sendable {
    let backend: CatalogBackendUnderTest
    /// The SQLite file, or the PostgreSQL URL of the scratch database.
    let location: String
    private let cleanup: @Sendable () async -> Void

    static let logger = Logger(label: "catalog-test")

    static func make(_ backend: CatalogBackendUnderTest) async throws -> ScratchCatalog {
        switch backend {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-test-\(UUID().uuidString)")
            return ScratchCatalog(backend: backend, location: folder.appendingPathComponent("nested/catalog.sqlite").path) {
                try? FileManager.default.removeItem(at: folder)
            }
        case .postgres:
            let server = try #require(CatalogBackendUnderTest.postgresURL, "CATALOG_TEST_POSTGRES_URL is not set")
            let name = "catalog_test_\(UUID().uuidString.prefix(8).lowercased())"
            try await admin(server, "CREATE DATABASE \(name)")
            var components = try #require(URLComponents(string: server))
            components.path = "/\(name)"
            return ScratchCatalog(backend: backend, location: try #require(components.string)) {
                try? await admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }

    /// One statement on the test server's own database.
    static func admin(_ server: String, _ sql: String) async throws {
        let url = try PostgresURL(parsing: server)
        let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 0, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    func open() async throws -> (store: any CatalogStore, migratedFrom: Int) {
        switch backend {
        case .sqlite:
            let opened = try await SQLiteCatalogStore.open(path: location, logger: Self.logger)
            return (opened.store, opened.migratedFrom)
        case .postgres:
            let opened = try await PostgresCatalogStore.open(url: try PostgresURL(parsing: location), logger: Self.logger)
            return (opened.store, opened.migratedFrom)
        }
    }

    var latestVersion: Int {
        switch backend {
        case .sqlite: SQLiteSchema.latestVersion
        case .postgres: PostgresSchema.latestVersion
        }
    }

    /// Records a schema version as a later release would.
    func recordSchemaVersion(_ version: Int) async throws {
        switch backend {
        case .sqlite:
            let connection = try await SQLiteConnection.open(storage: .file(path: location))
            _ = try await connection.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')", [.integer(version)])
            try await connection.close()
        case .postgres:
            try await Self.admin(location, "INSERT INTO schema_migrations (version) VALUES (\(version))")
        }
    }

    /// Runs `body` with a store on a fresh database, closing the store and removing the data
    /// afterwards, whatever happens.
    static func with(
        _ backend: CatalogBackendUnderTest, _ body: (any CatalogStore, ScratchCatalog) async throws -> Void
    ) async throws {
        let scratch = try await make(backend)
        do {
            let (store, migratedFrom) = try await scratch.open()
            #expect(migratedFrom == 0)
            do {
                try await body(store, scratch)
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        } catch {
            await scratch.cleanup()
            throw error
        }
        await scratch.cleanup()
    }
}
