import Foundation
import SQLiteNIO

/// Access requests in the SQLite catalog file (table `access_requests`, schema version 3).
extension SQLiteCatalogStore: AccessRequestStore {
    func createAccessRequest(_ request: AccessRequest) async throws {
        let document = try request.encoded()
        do {
            try await transaction { connection in
                _ = try await connection.query(
                    "INSERT INTO access_requests (id, user_sub, status, created_at, document) VALUES (?, ?, ?, ?, ?)",
                    [.text(request.id), .text(request.userSub), .text(request.status.rawValue), .text(request.createdAt), .text(document)])
            }
        } catch let error as SQLiteError where error.isNameClash {
            throw AccessRequestError.pendingExists
        }
    }

    func accessRequests(status: AccessRequest.Status?) async throws -> [AccessRequest] {
        let rows =
            if let status {
                try await read("SELECT document FROM access_requests WHERE status = ? ORDER BY created_at, id", [.text(status.rawValue)])
            } else {
                try await read("SELECT document FROM access_requests ORDER BY created_at, id")
            }
        return try rows.compactMap { $0.column("document")?.string }.map(AccessRequest.decoded)
    }

    func accessRequest(_ id: String) async throws -> AccessRequest? {
        try await read("SELECT document FROM access_requests WHERE id = ?", [.text(id)]).first?.column("document")?.string
            .map(AccessRequest.decoded)
    }

    func updatePendingAccessRequest(
        _ id: String, _ change: @escaping @Sendable (inout AccessRequest) throws -> Void
    ) async throws
        -> AccessRequest
    {
        try await transaction { connection in
            guard
                let text = try await connection.query("SELECT document FROM access_requests WHERE id = ?", [.text(id)]).first?
                    .column("document")?.string
            else { throw AccessRequestError.notFound }
            var request = try AccessRequest.decoded(text)
            guard request.status == .pending else { throw AccessRequestError.notPending(request.status) }
            try change(&request)
            _ = try await connection.query(
                "UPDATE access_requests SET status = ?, document = ? WHERE id = ?",
                [.text(request.status.rawValue), .text(try request.encoded()), .text(id)])
            return request
        }
    }
}
