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

    // MARK: Datasets

    /// Stores a new dataset with its resources and returns it as stored (a remote catalog
    /// gives it and its resources ids of its own). Throws ``CatalogError/datasetExists(_:)`` on a
    /// name clash (whoever wins a race) and ``CatalogError/organizationMissing(_:)``.
    @discardableResult
    func createDataset(_ dataset: CatalogDataset) async throws -> CatalogDataset

    /// By id or by name.
    func dataset(_ idOrName: String) async throws -> CatalogDataset?

    /// Applies `change` to the stored dataset inside one transaction (no update is lost to a
    /// concurrent one) and returns the result. Throws ``CatalogError/datasetNotFound``.
    func updateDataset(_ idOrName: String, _ change: @escaping @Sendable (inout CatalogDataset) throws -> Void) async throws -> CatalogDataset

    /// Deletes a dataset and its resources; nil when there was none.
    func deleteDataset(_ idOrName: String) async throws -> CatalogDataset?

    /// The page of datasets `query` asks for, and their count when it asks for one.
    func searchDatasets(_ query: DatasetQuery) async throws -> DatasetPage

    /// Public datasets' names in name order, a page of them (CKAN's `package_list`).
    func publicDatasetNames(limit: Int, offset: Int) async throws -> [String]

    /// Every organization with its number of public datasets, by name.
    func organizationSummaries() async throws -> [OrganizationSummary]

    /// A resource by id, with its dataset.
    func resource(_ id: String) async throws -> (resource: CatalogResource, dataset: CatalogDataset)?

    /// Resources matching `query`, in dataset then position order, and how many match in all.
    func searchResources(_ query: ResourceQuery) async throws -> (count: Int, hits: [ResourceHit])

    /// How many datasets the catalog holds (`/status/metrics`' `num_datasets`).
    func datasetCount() async throws -> Int

    /// Refreshes the query planner's statistics, after a bulk load changed the tables' sizes
    /// (`--import-datasets` calls it at the end).
    func refreshStatistics() async throws

    /// Cheap round trip, for `/readyz` and `backend_connected`.
    func ping() async throws

    func close() async throws
}

/// `GET /resources/search`'s filters (docs/specs/ndp-ep.md §2.8): substrings, any case, except
/// `format`, which is matched whole.
struct ResourceQuery: Sendable {
    var text: String?
    var name: String?
    var url: String?
    var description: String?
    var format: String?
    var limit: Int
    var offset: Int
    /// Private datasets' resources: none, the caller's own (`ndp_user_id`), or all.
    var privateVisibility: PrivateVisibility
}

/// An organization and how many public datasets it holds (CKAN's `package_count`).
struct OrganizationSummary: Sendable {
    var organization: CatalogOrganization
    var publicDatasets: Int
}

/// A resource found, with the dataset it belongs to.
struct ResourceHit: Sendable {
    var resource: CatalogResource
    var datasetID: String
    var datasetName: String
    var datasetTitle: String
    var datasetIsPrivate: Bool
    var datasetCreator: String?
}
