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

    // MARK: Declarations

    static let backend = Setting<Backend>.choice(
        "LOCAL_CATALOG_BACKEND", default: .sqlite,
        help: "The local catalog: sqlite (a file, one replica), postgres (several replicas), ckan (a CKAN or another endpoint) or none."
    ).checking { $0 == .mongodb ? "sqlite (default), postgres, ckan or none; this ndp-ep-api does not talk to MongoDB" : nil }
    static let localEnabled = Setting<Bool>.boolean(
        "CKAN_LOCAL_ENABLED", default: true,
        help: "Upstream's master switch of the local catalog routes; false given explicitly is LOCAL_CATALOG_BACKEND=none."
    ).blankMeansDefault()
    static let sqlitePath = Setting<String>.text(
        "CATALOG_SQLITE_PATH", default: defaultSQLitePath, help: "The SQLite catalog's file, created on first start (with its folder).")
    static let postgresURL = Setting<String?>.optionalText(
        "CATALOG_POSTGRES_URL", help: "postgres://user:password@host:port/database?sslmode=…, required by the postgres backend.",
        accepts: "PostgreSQL URL"
    ).secret()
    static let ckanURL = Setting<String?>.optionalText(
        "CKAN_URL", help: "The ckan backend's catalog (a CKAN, or another ndp-ep-api).", accepts: "http(s) URL", default: "http://localhost:5000")
    static let ckanAPIKey = Setting<String?>.optionalText("CKAN_API_KEY", help: "The ckan backend's API key.").secret()
    static let ckanVerifySSL = Setting<Bool>.boolean("CKAN_VERIFY_SSL", default: true, help: "Check the ckan backend's TLS certificate.")

    static let settings = SettingGroup(
        "Catalog", [backend, localEnabled, sqlitePath, postgresURL, ckanURL, ckanAPIKey, ckanVerifySSL, RemoteCatalogSettings.timeout])

    static func load(from source: ConfigurationSource) throws -> CatalogSettings {
        var backend = try source.value(Self.backend)
        if source.isGiven(localEnabled), try !source.value(localEnabled) { backend = .none }
        var postgresURL: PostgresURL?
        if backend == .postgres {
            guard let text = try source.value(Self.postgresURL) else {
                throw source.refusal(Self.postgresURL, expected: "postgres://user:password@host:port/database with LOCAL_CATALOG_BACKEND=postgres")
            }
            do {
                postgresURL = try PostgresURL(parsing: text)
            } catch {
                throw source.refusal(Self.postgresURL, expected: error.reason)
            }
        }
        var ckan: RemoteCatalogSettings?
        if backend == .ckan {
            ckan = try RemoteCatalogSettings.load(
                url: ckanURL, apiKey: ckanAPIKey, verify: ckanVerifySSL, label: "Local CKAN catalog", key: "local", from: source,
                default: "http://localhost:5000")
        }
        let unused = upstreamCatalogSettings + (backend == .ckan ? [] : ckanSettings)
        return CatalogSettings(
            backend: backend, sqlitePath: try source.value(sqlitePath), postgresURL: postgresURL,
            ckan: ckan, unusedUpstreamSettings: unused.filter { source.raw($0).map { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? false })
    }
}
