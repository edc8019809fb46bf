import ServiceKit

/// Where the local catalog lives (`LOCAL_CATALOG_BACKEND`, docs/specs/ndp-ep.md §4.2): an
/// SQLite file by default, nothing to install; `none` (or `CKAN_LOCAL_ENABLED=False` given
/// explicitly) turns the catalog routes off as upstream does (§2.14).
struct CatalogSettings: Sendable, Equatable {
    enum Backend: String, CaseIterable, Sendable {
        case sqlite, postgres, none, ckan, mongodb
    }

    var backend: Backend
    /// `CATALOG_SQLITE_PATH`, created on first start.
    var sqlitePath: String

    var enabled: Bool { backend != .none }

    static let defaultSQLitePath = "./data/catalog.sqlite"

    static func load(from source: ConfigurationSource) throws -> CatalogSettings {
        var backend = try source.choice("LOCAL_CATALOG_BACKEND", default: Backend.sqlite)
        switch backend {
        case .ckan, .mongodb:
            throw ConfigurationError(
                variable: "LOCAL_CATALOG_BACKEND", value: backend.rawValue,
                expected: "sqlite (default) or none; this ndp-ep-api keeps its catalog itself and does not talk to CKAN or MongoDB")
        case .postgres:
            throw ConfigurationError(
                variable: "LOCAL_CATALOG_BACKEND", value: backend.rawValue,
                expected: "sqlite (default) or none; the PostgreSQL catalog is not in this build yet")
        case .sqlite, .none:
            break
        }
        if source.optionalString("CKAN_LOCAL_ENABLED") != nil, try !source.bool("CKAN_LOCAL_ENABLED", default: true) {
            backend = .none
        }
        return CatalogSettings(backend: backend, sqlitePath: source.string("CATALOG_SQLITE_PATH", default: defaultSQLitePath))
    }
}
