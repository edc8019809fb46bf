import Logging
import ServiceKit
import ServiceLifecycle

/// What `LOCAL_CATALOG_BACKEND` opens: the catalog and, when it is a database of this
/// endpoint's own (SQLite or PostgreSQL), the document tables the capabilities kept beside it
/// use (access requests, staging jobs); a catalog kept in a CKAN has none.
struct CatalogDatabase: Sendable {
    let catalog: any CatalogStore
    let documents: (any DocumentDatabase)?

    /// A database of the endpoint's own: the catalog and the document tables in one.
    init(own store: any CatalogStore & DocumentDatabase) {
        self.catalog = store
        self.documents = store
    }

    init(remote store: any CatalogStore) {
        self.catalog = store
        self.documents = nil
    }
}

/// The local catalog's start and stop: opens the configured store (migrating it), makes the
/// `services` organization upstream creates at start-up (docs/specs/ndp-ep.md §2.10), and
/// closes the store when the service shuts down.
enum Catalog {
    /// nil when the catalog is off (`LOCAL_CATALOG_BACKEND=none`).
    static func open(_ settings: CatalogSettings, logger: Logger) async throws -> CatalogDatabase? {
        if !settings.unusedUpstreamSettings.isEmpty {
            logger.notice(
                "upstream catalog settings are set but not used by this LOCAL_CATALOG_BACKEND",
                metadata: ["settings": "\(settings.unusedUpstreamSettings.joined(separator: ", "))"])
        }
        let database: CatalogDatabase
        let opened: (backend: String, location: String, from: Int, to: Int)
        switch (settings.backend, settings.postgresURL) {
        case (.sqlite, _):
            let sqlite = try await SQLiteCatalogStore.open(path: settings.sqlitePath, logger: logger)
            (database, opened) = (
                CatalogDatabase(own: sqlite.store), ("sqlite", settings.sqlitePath, sqlite.migratedFrom, SQLiteSchema.latestVersion)
            )
        case (.postgres, let url?):
            let postgres = try await PostgresCatalogStore.open(url: url, logger: logger)
            (database, opened) = (
                CatalogDatabase(own: postgres.store), ("postgres", "\(url)", postgres.migratedFrom, PostgresSchema.latestVersion)
            )
        case (.ckan, _):
            guard let ckan = settings.ckan else { return nil }
            // A remote catalog has no schema of ours; it is asked once that it answers, so a
            // wrong CKAN_URL stops the start-up instead of failing every request.
            let remote = CKANCatalogStore(client: CKANClient(ckan))
            do {
                try await remote.ping()
            } catch {
                throw CatalogStartupError(message: "the catalog at CKAN_URL \(ckan.url) does not answer CKAN's action API: \(error)")
            }
            (database, opened) = (CatalogDatabase(remote: remote), ("ckan", ckan.url, 0, 0))
        default:
            return nil
        }
        logger.info(
            "catalog opened",
            metadata: [
                "catalog.backend": "\(opened.backend)", "catalog.location": "\(opened.location)",
                "catalog.schema": "\(opened.to == 0 ? "remote" : "\(opened.from) → \(opened.to)")",
            ])
        do {
            try await ensureServicesOrganization(database.catalog)
        } catch {
            try? await database.catalog.close()
            throw error
        }
        return database
    }

    /// Registered services live in this organization; the proxy looks only there.
    static let servicesOrganization = "services"

    static func ensureServicesOrganization(_ store: any CatalogStore) async throws {
        guard try await store.organization(named: servicesOrganization) == nil else { return }
        do {
            _ = try await store.createOrganization(
                NewOrganization(name: servicesOrganization, title: "Services", description: "Services registered with this endpoint", creator: nil))
        } catch CatalogError.organizationExists {
            // Another replica made it first.
        }
    }

    /// Closes the store once the service group shuts down.
    struct Closer: Service {
        let store: any CatalogStore

        func run() async throws {
            try? await gracefulShutdown()
            try await store.close()
        }
    }
}
