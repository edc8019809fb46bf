/// The local catalog's storage: SQLite by default (one file, no server), PostgreSQL for several
/// replicas. Every write is one transaction: it happens whole or not at all.
protocol CatalogStore: Sendable {
    /// Organization names, sorted; `containing` filters case-insensitively, `createdBy` keeps
    /// those whose `ndp_user_id` is the caller's (`mine=true`).
    func organizationNames(containing: String?, createdBy: String?) async throws -> [String]

    /// Throws ``CatalogError/organizationExists(_:)`` on a name clash, whoever wins a race.
    func createOrganization(_ organization: NewOrganization) async throws -> CatalogOrganization

    func organization(named name: String) async throws -> CatalogOrganization?

    /// Deletes the organization and, with `cascade`, its datasets first; without it an
    /// organization that has datasets is refused. Throws ``CatalogError/organizationNotFound``.
    func deleteOrganization(named name: String, cascade: Bool) async throws

    /// How many datasets the catalog holds (`/status/metrics`' `num_datasets`).
    func datasetCount() async throws -> Int

    /// Cheap round trip, for `/readyz` and `backend_connected`.
    func ping() async throws

    func close() async throws
}
