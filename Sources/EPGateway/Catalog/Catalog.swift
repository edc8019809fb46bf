import Logging
import ServiceKit
import ServiceLifecycle

/// The local catalog's start and stop: opens the configured store (migrating it), makes the
/// `services` organization upstream creates at start-up (docs/specs/ndp-ep.md §2.10), and
/// closes the store when the service shuts down.
enum Catalog {
    /// nil when the catalog is off (`LOCAL_CATALOG_BACKEND=none`).
    static func open(_ settings: CatalogSettings, logger: Logger) async throws -> (any CatalogStore)? {
        if !settings.unusedUpstreamSettings.isEmpty {
            logger.notice(
                "upstream catalog settings are set but not used by this LOCAL_CATALOG_BACKEND",
                metadata: ["settings": "\(settings.unusedUpstreamSettings.joined(separator: ", "))"])
        }
        let store: any CatalogStore
        let opened: (backend: String, location: String, from: Int, to: Int)
        switch (settings.backend, settings.postgresURL) {
        case (.sqlite, _):
            let sqlite = try await SQLiteCatalogStore.open(path: settings.sqlitePath, logger: logger)
            (store, opened) = (sqlite.store, ("sqlite", settings.sqlitePath, sqlite.migratedFrom, SQLiteSchema.latestVersion))
        case (.postgres, let url?):
            let postgres = try await PostgresCatalogStore.open(url: url, logger: logger)
            (store, opened) = (postgres.store, ("postgres", "\(url)", postgres.migratedFrom, PostgresSchema.latestVersion))
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
            (store, opened) = (remote, ("ckan", ckan.url, 0, 0))
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
            try await ensureServicesOrganization(store)
        } catch {
            try? await store.close()
            throw error
        }
        return store
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
