import ServiceKit

/// The catalog cannot start (a database that cannot be opened or reached, or is newer than this
/// binary): one line and exit 78, from the launcher.
struct CatalogStartupError: StartupFailure {
    let message: String
    var kind: String { "catalog error" }
    var description: String { message }

    static func newerSchema(database: String, found: Int, known: Int) -> Self {
        Self(
            message:
                "the catalog database \(database) has schema version \(found), newer than this ndp-ep-api knows (\(known)); run the release that wrote it, or restore a backup"
        )
    }

    static func migrationFailed(database: String, version: Int, reason: String) -> Self {
        Self(message: "migrating the catalog database \(database) to schema version \(version) failed: \(reason)")
    }
}
