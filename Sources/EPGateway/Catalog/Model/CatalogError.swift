import ServiceKit

/// What the catalog refuses, in the words upstream's clients match (docs/specs/ndp-ep.md §5.3).
enum CatalogError: Error, Sendable, Equatable, APIErrorConvertible {
    /// Upstream (CKAN) says "Group name already exists in database"; ndp-ep matches it.
    case organizationExists(String)
    case organizationNotFound
    /// `cascade=false` on an organization that still has datasets.
    case organizationHasDatasets(String, count: Int)
    case organizationMissing(String)
    /// The client matches "Duplicate Dataset".
    case datasetExists(String)
    case datasetNotFound
    /// A dataset deleted through the legacy `/resource` routes (upstream's words).
    case resourceNotFound
    /// The database cannot be reached or refused the statement.
    case unavailable(String)
    /// The database's disk (or quota) is full: nothing was written.
    case outOfSpace

    var apiError: APIError {
        switch self {
        case .organizationExists(let name):
            APIError(.badRequest, detail: "Group name already exists in database: an organization named '\(name)' exists")
        case .organizationNotFound:
            APIError(.notFound, detail: "Organization not found")
        case .organizationHasDatasets(let name, let count):
            APIError(
                .conflict,
                detail: "Organization '\(name)' still has \(count) dataset\(count == 1 ? "" : "s"); delete them first or pass cascade=true")
        case .organizationMissing(let name):
            APIError(.badRequest, detail: "Organization does not exist: '\(name)'. Create it first (POST /organization).")
        case .datasetExists(let name):
            APIError(.conflict, detail: "Duplicate Dataset: a dataset named '\(name)' already exists")
        case .datasetNotFound:
            APIError(.notFound, detail: "Dataset not found")
        case .resourceNotFound:
            APIError(.notFound, detail: "Resource not found")
        case .unavailable:
            APIError(.serviceUnavailable, detail: "Local catalog is currently unavailable. Please try again later.")
        case .outOfSpace:
            APIError(
                .init(code: 507, reasonPhrase: "Insufficient Storage"),
                detail: "Insufficient storage: the catalog's disk is full; nothing was written. An operator must make room.")
        }
    }
}
