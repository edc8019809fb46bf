import Access

/// What a dataset search asks of the store: words, field conditions, which private datasets
/// may show, an order and a page. `GET /search`, `POST /search`, the services directory and the
/// CKAN action API's `package_search` / `package_list` all ask through it, so paging and the
/// count are the database's work, never a filter applied after a page was cut.
struct DatasetQuery: Sendable {
    /// Full-text tokens, each matched as a word prefix, all required; none: no word condition.
    var words: [String] = []
    /// Every one must hold.
    var filters: [DatasetFilter] = []
    var visibility: PrivateVisibility = .all
    /// Applied in order; the dataset id breaks the last tie, so pages never overlap.
    var order: [DatasetOrder] = [DatasetOrder(.created, descending: true)]
    var limit: Int
    var offset: Int = 0
    /// Whether to count every match (``DatasetPage/count``), one more statement.
    var counting = false
}

extension DatasetQuery {
    /// The count a page already tells, when it is the last one (fewer rows than asked for, and
    /// not past the end): then no second statement is needed. nil when it must be counted.
    func countFromPage(_ rows: Int) -> Int? {
        guard counting, rows < limit, rows > 0 || offset == 0 else { return nil }
        return offset + rows
    }
}

/// One condition on a dataset's fields, CKAN's `fq` clauses in the store's terms.
enum DatasetFilter: Sendable, Equatable {
    case id(String)
    case name(String)
    /// By the organization's name or id.
    case organization(String)
    case tag(String)
    case group(String)
    /// A resource of this format, any case.
    case resourceFormat(String)
    case license(String)
    /// An extra whose value is this string.
    case extra(key: String, value: String)
    case isPrivate(Bool)
}

/// One sort key.
struct DatasetOrder: Sendable, Equatable {
    enum Field: String, Sendable, CaseIterable {
        case name, title, created, modified
    }

    var field: Field
    var descending: Bool

    init(_ field: Field, descending: Bool = false) {
        self.field = field
        self.descending = descending
    }
}

/// Which private datasets a search may show: none, the caller's own (`ndp_user_id`), or all.
/// Decided by the access policy before the query (see `EndpointAccess.privateVisibility`).
enum PrivateVisibility: Sendable, Equatable {
    case none
    case createdBy(String)
    case all
}

/// A page of datasets and, when asked for, how many match in all.
struct DatasetPage: Sendable {
    var count: Int?
    var datasets: [CatalogDataset]
}

extension CatalogStore {
    /// Datasets holding every token (as word prefixes), in `organization` when given, newest
    /// first, whatever their mode (the caller filters by policy).
    func searchDatasets(tokens: [String], organization: String? = nil, limit: Int) async throws -> [CatalogDataset] {
        try await searchDatasets(
            DatasetQuery(words: tokens, filters: organization.map { [.organization($0)] } ?? [], limit: limit)
        ).datasets
    }
}
