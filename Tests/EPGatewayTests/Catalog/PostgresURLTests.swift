import ServiceKit
import Testing

@testable import EPGateway

/// `CATALOG_POSTGRES_URL` as libpq writes it, and the settings that read it.
@Suite("PostgreSQL URL")
struct PostgresURLTests {
    @Test("user, encoded password, host, port, database and sslmode are read; defaults as libpq's")
    func parsing() throws {
        let url = try PostgresURL(parsing: "postgres://ndp:p%40ss%3Aword@db.example.org:6543/catalog?sslmode=require")
        #expect(url.username == "ndp" && url.password == "p@ss:word" && url.host == "db.example.org")
        #expect(url.port == 6543 && url.database == "catalog" && url.sslMode == .require)
        let plain = try PostgresURL(parsing: "postgresql://ndp@[::1]")
        #expect(plain.host == "::1" && plain.port == 5432 && plain.database == "ndp" && plain.password == nil && plain.sslMode == .prefer)
    }

    @Test("the password never shows in the description")
    func redaction() throws {
        let url = try PostgresURL(parsing: "postgres://ndp:hunter2@db:5432/catalog")
        #expect(!url.description.contains("hunter2"))
        #expect(url.description == "postgres://ndp:***@db:5432/catalog?sslmode=prefer")
    }

    @Test(
        "malformed URLs are refused with what was expected",
        arguments: [
            "mysql://u@h/db", "postgres:///db", "postgres://h/db", "postgres://u@h/db?sslmode=sometimes", "postgres://u@h/db?connect_timeout=3",
            "not a url",
        ])
    func refused(text: String) {
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL(parsing: text) }
    }

    @Test("the postgres backend needs a valid URL; a bad one is reported without echoing it")
    func settings() throws {
        let good = try CatalogSettings.load(
            from: ConfigurationSource(environment: ["LOCAL_CATALOG_BACKEND": "postgres", "CATALOG_POSTGRES_URL": "postgres://u:secret@h:5/db"]))
        #expect(good.backend == .postgres && good.postgresURL?.database == "db")
        #expect(throws: ConfigurationError.self) {
            try CatalogSettings.load(from: ConfigurationSource(environment: ["LOCAL_CATALOG_BACKEND": "postgres"]))
        }
        do {
            _ = try CatalogSettings.load(
                from: ConfigurationSource(environment: ["LOCAL_CATALOG_BACKEND": "postgres", "CATALOG_POSTGRES_URL": "mysql://u:secret@h/db"]))
            Issue.record("a mysql URL was accepted")
        } catch let error as ConfigurationError {
            #expect(!error.description.contains("secret"))
            #expect(error.variable == "CATALOG_POSTGRES_URL")
        }
    }
}
