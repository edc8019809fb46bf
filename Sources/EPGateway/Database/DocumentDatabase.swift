/// What the endpoint's capabilities (access requests, staging jobs) ask of its database, SQLite
/// or PostgreSQL: tables of JSON documents, each row an id, the document and a few indexed
/// columns. The drivers implement these few operations in their SQL; the rules (what a clash
/// means, what may change and when) live once, in each capability's store above them.
protocol DocumentDatabase: Sendable {
    /// Throws ``DocumentClash`` when a unique index refuses the row.
    func insert(_ row: DocumentRow, into table: DocumentTable) async throws

    /// The documents whose rows pass `filter`, in `order` (then by id the same way), at most `limit`.
    func documents(in table: DocumentTable, where filter: DocumentFilter, order: DocumentOrder, limit: Int?) async throws -> [String]

    func document(in table: DocumentTable, id: String) async throws -> String?

    /// Reads the row (locked until the transaction ends), hands its document to `change`, and
    /// writes the row `change` returns, all in one transaction; nil when there is no such row.
    /// `change` may throw to leave the row as it was.
    func update(
        in table: DocumentTable, id: String, _ change: @escaping @Sendable (String) throws -> DocumentRow
    ) async throws -> DocumentRow?

    /// False when there was no such row.
    func delete(from table: DocumentTable, id: String) async throws -> Bool
}

/// A table of documents: its name and its indexed columns besides `id` and `document`, which
/// every such table has. Its DDL (the same statements for both databases) is the capability's.
struct DocumentTable: Sendable {
    let name: String
    let columns: [String]
}

/// One row: the id, the indexed columns' values, the document as JSON text.
struct DocumentRow: Sendable, Equatable {
    let id: String
    let columns: [String: String]
    let document: String
}

/// Which rows a listing takes.
enum DocumentFilter: Sendable {
    case all
    case equals(_ column: String, _ value: String)
    case isIn(_ column: String, _ values: [String])
}

/// A listing's order: by `column`, then by id, both ascending or both descending.
struct DocumentOrder: Sendable {
    let column: String
    let descending: Bool

    static func ascending(_ column: String) -> DocumentOrder { DocumentOrder(column: column, descending: false) }
    static func descending(_ column: String) -> DocumentOrder { DocumentOrder(column: column, descending: true) }

    var sql: String {
        let direction = descending ? "DESC" : "ASC"
        return "\(column) \(direction), id \(direction)"
    }
}

/// A unique index refused a row (one pending access request per user).
struct DocumentClash: Error, Sendable {}
