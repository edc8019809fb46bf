import ServiceKit

/// Where the local catalog lives (`LOCAL_CATALOG_BACKEND`, docs/specs/ndp-ep.md §4.2): an
/// SQLite file by default, nothing to install; PostgreSQL (`CATALOG_POSTGRES_URL`) for several
/// replicas; a CKAN (`ckan`: `CKAN_URL`, `CKAN_API_KEY`, as upstream's default deployment), which
/// may be another ndp-ep-api; `none` (or `CKAN_LOCAL_ENABLED=False` given explicitly) turns the
/// catalog routes off as upstream does (§2.14). MongoDB is not supported.
struct CatalogSettings: Sendable, Equatable {
    enum Backend: String, CaseIterable, Sendable {
        case sqlite, postgres, none, ckan, mongodb
    }

    var backend: Backend
    /// `CATALOG_SQLITE_PATH`, created on first start.
    var sqlitePath: String
    /// `CATALOG_POSTGRES_URL`, required by the postgres backend.
    var postgresURL: PostgresURL?
    /// `CKAN_URL` (default `http://localhost:5000`, upstream's), `CKAN_API_KEY`,
    /// `CKAN_VERIFY_SSL`: the ckan backend's catalog.
    var ckan: RemoteCatalogSettings?
    /// Upstream's settings for catalogs this endpoint does not talk to, found set (an upstream
    /// env Secret carries them): accepted, and named once at start-up as not used.
    var unusedUpstreamSettings: [String] = []

    static let upstreamCatalogSettings = ["MONGODB_CONNECTION_STRING", "MONGODB_DATABASE"]
    static let ckanSettings = ["CKAN_URL", "CKAN_API_KEY", "CKAN_VERIFY_SSL"]

    /// Whether the catalog is a database of this endpoint's own, which access requests and
    /// staging jobs are kept in too.
    var ownsDatabase: Bool { backend == .sqlite || backend == .postgres }

    var enabled: Bool { backend != .none }

    static let defaultSQLitePath = "./data/catalog.sqlite"

    static func load(from source: ConfigurationSource) throws -> CatalogSettings {
        var backend = try source.choice("LOCAL_CATALOG_BACKEND", default: Backend.sqlite)
        if backend == .mongodb {
            throw ConfigurationError(
                variable: "LOCAL_CATALOG_BACKEND", value: backend.rawValue,
                expected: "sqlite (default), postgres, ckan or none; this ndp-ep-api does not talk to MongoDB")
        }
        if source.optionalString("CKAN_LOCAL_ENABLED") != nil, try !source.bool("CKAN_LOCAL_ENABLED", default: true) {
            backend = .none
        }
        var postgresURL: PostgresURL?
        if backend == .postgres {
            guard let text = source.optionalString("CATALOG_POSTGRES_URL"), !text.isEmpty else {
                throw ConfigurationError(
                    variable: "CATALOG_POSTGRES_URL", value: "",
                    expected: "postgres://user:password@host:port/database with LOCAL_CATALOG_BACKEND=postgres")
            }
            do {
                postgresURL = try PostgresURL(parsing: text)
            } catch {
                // The value is not echoed: it may hold a password.
                throw ConfigurationError(variable: "CATALOG_POSTGRES_URL", value: "(not shown)", expected: error.reason)
            }
        }
        var ckan: RemoteCatalogSettings?
        if backend == .ckan {
            ckan = try RemoteCatalogSettings.load(
                url: "CKAN_URL", apiKey: "CKAN_API_KEY", verify: "CKAN_VERIFY_SSL", label: "Local CKAN catalog", key: "local", from: source,
                default: "http://localhost:5000")
        }
        let unused = upstreamCatalogSettings + (backend == .ckan ? [] : ckanSettings)
        return CatalogSettings(
            backend: backend, sqlitePath: source.string("CATALOG_SQLITE_PATH", default: defaultSQLitePath), postgresURL: postgresURL,
            ckan: ckan, unusedUpstreamSettings: unused.filter { source.optionalString($0) != nil })
    }
}
