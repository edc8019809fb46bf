import Foundation

/// The access requests, kept in the endpoint's database (SQLite or PostgreSQL; the table is
/// ``table``, created by ``migration``). Written once over ``DocumentDatabase``: a request is
/// decided only while pending, and a user has at most one pending request (the database's
/// unique index says so, whoever files at the same time).
struct AccessRequestStore: Sendable {
    let database: any DocumentDatabase

    static let table = DocumentTable(name: "access_requests", columns: ["user_sub", "status", "created_at"])

    /// The table: the request as JSON, its user, status and time as columns; at most one
    /// pending request per user, enforced by a partial unique index. The catalog database's
    /// schema version 3 on SQLite, 2 on PostgreSQL.
    static let migration = [
        """
        CREATE TABLE access_requests (
            id text PRIMARY KEY,
            user_sub text NOT NULL,
            status text NOT NULL,
            created_at text NOT NULL,
            document text NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX access_requests_one_pending ON access_requests (user_sub) WHERE status = 'pending'",
        "CREATE INDEX access_requests_by_status ON access_requests (status, created_at)",
    ]

    /// Throws ``AccessRequestError/pendingExists`` when the user has a pending request.
    func create(_ request: AccessRequest) async throws {
        do {
            try await database.insert(try Self.row(request), into: Self.table)
        } catch is DocumentClash {
            throw AccessRequestError.pendingExists
        }
    }

    /// Oldest first; nil status: all of them.
    func requests(status: AccessRequest.Status?) async throws -> [AccessRequest] {
        let filter: DocumentFilter = status.map { .equals("status", $0.rawValue) } ?? .all
        return try await database.documents(in: Self.table, where: filter, order: .ascending("created_at"), limit: nil).map(AccessRequest.decoded)
    }

    func request(_ id: String) async throws -> AccessRequest? {
        try await database.document(in: Self.table, id: id).map(AccessRequest.decoded)
    }

    /// Applies `change` to a request that is still pending, in one transaction (two admins
    /// deciding at once: one wins, the other gets ``AccessRequestError/notPending``).
    func updatePending(_ id: String, _ change: @escaping @Sendable (inout AccessRequest) throws -> Void) async throws -> AccessRequest {
        let row = try await database.update(in: Self.table, id: id) { document in
            var request = try AccessRequest.decoded(document)
            guard request.status == .pending else { throw AccessRequestError.notPending(request.status) }
            try change(&request)
            return try Self.row(request)
        }
        guard let row else { throw AccessRequestError.notFound }
        return try AccessRequest.decoded(row.document)
    }

    static func row(_ request: AccessRequest) throws -> DocumentRow {
        DocumentRow(
            id: request.id, columns: ["user_sub": request.userSub, "status": request.status.rawValue, "created_at": request.createdAt],
            document: try request.encoded())
    }
}
