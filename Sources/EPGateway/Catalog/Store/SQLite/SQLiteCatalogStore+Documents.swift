import Foundation
import SQLiteNIO

/// The endpoint's document tables in the SQLite catalog file: only SQL here (table and column
/// names come from ``DocumentTable`` declarations, never from requests; values are bound).
extension SQLiteCatalogStore: DocumentDatabase {
    func insert(_ row: DocumentRow, into table: DocumentTable) async throws {
        let columns = ["id"] + table.columns + ["document"]
        let values = [row.id] + table.columns.map { row.columns[$0] ?? "" } + [row.document]
        do {
            try await transaction { connection in
                _ = try await connection.query(
                    "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))",
                    values.map { .text($0) })
            }
        } catch let error as SQLiteError where error.isNameClash {
            throw DocumentClash()
        }
    }

    func documents(in table: DocumentTable, where filter: DocumentFilter, order: DocumentOrder, limit: Int?) async throws -> [String] {
        var sql = "SELECT document FROM \(table.name)"
        var binds: [SQLiteData] = []
        switch filter {
        case .all: break
        case .equals(let column, let value):
            sql += " WHERE \(column) = ?"
            binds.append(.text(value))
        case .isIn(let column, let values):
            sql += " WHERE \(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))"
            binds += values.map { .text($0) }
        }
        sql += " ORDER BY \(order.sql)"
        if let limit {
            sql += " LIMIT ?"
            binds.append(.integer(limit))
        }
        return try await read(sql, binds).compactMap { $0.column("document")?.string }
    }

    func document(in table: DocumentTable, id: String) async throws -> String? {
        try await read("SELECT document FROM \(table.name) WHERE id = ?", [.text(id)]).first?.column("document")?.string
    }

    /// The one writer's transaction is the lock: nobody else writes until it ends.
    func update(in table: DocumentTable, id: String, _ change: @escaping @Sendable (String) throws -> DocumentRow) async throws -> DocumentRow? {
        try await transaction { connection in
            guard
                let text = try await connection.query("SELECT document FROM \(table.name) WHERE id = ?", [.text(id)]).first?.column("document")?
                    .string
            else { return nil }
            let row = try change(text)
            let assignments = (table.columns + ["document"]).map { "\($0) = ?" }.joined(separator: ", ")
            _ = try await connection.query(
                "UPDATE \(table.name) SET \(assignments) WHERE id = ?",
                (table.columns.map { row.columns[$0] ?? "" } + [row.document, id]).map { .text($0) })
            return row
        }
    }

    func delete(from table: DocumentTable, id: String) async throws -> Bool {
        try await transaction { connection in
            try await !connection.query("DELETE FROM \(table.name) WHERE id = ? RETURNING id", [.text(id)]).isEmpty
        }
    }
}
