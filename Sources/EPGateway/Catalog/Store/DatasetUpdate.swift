import Foundation

/// What changing a stored dataset asks of a database, inside one of its transactions: the SQL
/// of the three steps. The rules around them are ``DatasetUpdate``'s, written once for both.
protocol DatasetUpdateSteps: Sendable {
    /// The dataset, by id or name, with its organization's id, locked until the transaction ends.
    func lockedDataset(_ idOrName: String) async throws -> (dataset: CatalogDataset, organizationID: String)?

    /// Throws ``CatalogError/organizationMissing(_:)`` when there is no such organization.
    func organizationID(named name: String) async throws -> String

    /// Writes `dataset` in place of `stored` (same id). Throws ``DatasetNameClash`` when
    /// another dataset holds the new name.
    func replace(_ stored: CatalogDataset, with dataset: CatalogDataset, organizationID: String) async throws
}

/// A unique index refused a dataset's name.
struct DatasetNameClash: Error, Sendable {}

/// `updateDataset`'s rules, for every database: the change applied to the locked row (so no
/// concurrent update is lost), the modification time stamped, a new organization looked up
/// again (it may have gone since the caller checked), a name clash told as upstream tells it.
enum DatasetUpdate {
    static func apply(
        to idOrName: String, _ change: @Sendable (inout CatalogDataset) throws -> Void, using steps: some DatasetUpdateSteps
    ) async throws -> CatalogDataset {
        guard let (stored, storedOrganizationID) = try await steps.lockedDataset(idOrName) else { throw CatalogError.datasetNotFound }
        var dataset = stored
        try change(&dataset)
        dataset.modified = Date()
        let organizationID =
            dataset.organization == stored.organization ? storedOrganizationID : try await steps.organizationID(named: dataset.organization)
        do {
            try await steps.replace(stored, with: dataset, organizationID: organizationID)
        } catch is DatasetNameClash {
            throw CatalogError.datasetExists(dataset.name)
        }
        return dataset
    }
}
