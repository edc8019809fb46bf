import Foundation
import PostgresNIO

/// Access requests in the PostgreSQL catalog database (table `access_requests`, schema
/// version 2). The pending request's row is locked while it is decided.
extension PostgresCatalogStore: AccessRequestStore {
    func createAccessRequest(_ request: AccessRequest) async throws {
        let document = try request.encoded()
        try await transaction(clash: AccessRequestError.pendingExists) { connection, logger in
            _ = try await connection.query(
                """
                INSERT INTO access_requests (id, user_sub, status, created_at, document)
                VALUES (\(request.id), \(request.userSub), \(request.status.rawValue), \(request.createdAt), \(document))
                """, logger: logger)
        }
    }

    func accessRequests(status: AccessRequest.Status?) async throws -> [AccessRequest] {
        let rows =
            if let status {
                try await self.rows("SELECT document FROM access_requests WHERE status = \(status.rawValue) ORDER BY created_at, id")
            } else {
                try await self.rows("SELECT document FROM access_requests ORDER BY created_at, id")
            }
        return try rows.map { try AccessRequest.decoded(try $0.decode(String.self)) }
    }

    func accessRequest(_ id: String) async throws -> AccessRequest? {
        try await rows("SELECT document FROM access_requests WHERE id = \(id)").first.map { try AccessRequest.decoded(try $0.decode(String.self)) }
    }

    func updatePendingAccessRequest(
        _ id: String, _ change: @escaping @Sendable (inout AccessRequest) throws -> Void
    ) async throws
        -> AccessRequest
    {
        try await transaction { connection, logger in
            let rows = try await connection.query("SELECT document FROM access_requests WHERE id = \(id) FOR UPDATE", logger: logger).collect()
            guard let row = rows.first else { throw AccessRequestError.notFound }
            var request = try AccessRequest.decoded(try row.decode(String.self))
            guard request.status == .pending else { throw AccessRequestError.notPending(request.status) }
            try change(&request)
            let document = try request.encoded()
            _ = try await connection.query(
                "UPDATE access_requests SET status = \(request.status.rawValue), document = \(document) WHERE id = \(id)", logger: logger)
            return request
        }
    }
}
