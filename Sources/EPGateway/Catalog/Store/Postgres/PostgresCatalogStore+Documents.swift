import Foundation
import PostgresNIO

/// The endpoint's document tables in the PostgreSQL catalog database: only SQL here (table and
/// column names come from ``DocumentTable`` declarations, never from requests; values are bound).
/// An update locks its row (`FOR UPDATE`), so replicas deciding at once take turns.
extension PostgresCatalogStore: DocumentDatabase {
    func insert(_ row: DocumentRow, into table: DocumentTable) async throws {
        var query = PostgresQueryBuilder("INSERT INTO \(table.name) (\((["id"] + table.columns + ["document"]).joined(separator: ", "))) VALUES (")
        for (index, value) in ([row.id] + table.columns.map { row.columns[$0] ?? "" } + [row.document]).enumerated() {
            query.append(index == 0 ? "" : ", ")
            query.append(bound: value)
        }
        query.append(")")
        let statement = query.query
        try await transaction(clash: DocumentClash()) { connection, logger in
            _ = try await connection.query(statement, logger: logger)
        }
    }

    func documents(in table: DocumentTable, where filter: DocumentFilter, order: DocumentOrder, limit: Int?) async throws -> [String] {
        var query = PostgresQueryBuilder("SELECT document FROM \(table.name)")
        switch filter {
        case .all: break
        case .equals(let column, let value):
            query.append(" WHERE \(column) = ")
            query.append(bound: value)
        case .isIn(let column, let values):
            query.append(" WHERE \(column) = ANY(")
            query.append(bound: values)
            query.append(")")
        }
        query.append(" ORDER BY \(order.sql)")
        if let limit {
            query.append(" LIMIT ")
            query.append(bound: limit)
        }
        return try await rows(query.query).map { try $0.decode(String.self) }
    }

    func document(in table: DocumentTable, id: String) async throws -> String? {
        var query = PostgresQueryBuilder("SELECT document FROM \(table.name) WHERE id = ")
        query.append(bound: id)
        return try await rows(query.query).first.map { try $0.decode(String.self) }
    }

    func update(in table: DocumentTable, id: String, _ change: @escaping @Sendable (String) throws -> DocumentRow) async throws -> DocumentRow? {
        var select = PostgresQueryBuilder("SELECT document FROM \(table.name) WHERE id = ")
        select.append(bound: id)
        select.append(" FOR UPDATE")
        let locked = select.query
        return try await transaction { connection, logger in
            guard let current = try await connection.query(locked, logger: logger).collect().first else { return nil }
            let row = try change(try current.decode(String.self))
            var update = PostgresQueryBuilder("UPDATE \(table.name) SET ")
            for (index, column) in (table.columns + ["document"]).enumerated() {
                update.append((index == 0 ? "" : ", ") + "\(column) = ")
                update.append(bound: column == "document" ? row.document : row.columns[column] ?? "")
            }
            update.append(" WHERE id = ")
            update.append(bound: id)
            _ = try await connection.query(update.query, logger: logger)
            return row
        }
    }

    func delete(from table: DocumentTable, id: String) async throws -> Bool {
        var query = PostgresQueryBuilder("DELETE FROM \(table.name) WHERE id = ")
        query.append(bound: id)
        query.append(" RETURNING id")
        let statement = query.query
        return try await transaction { connection, logger in
            try await !connection.query(statement, logger: logger).collect().isEmpty
        }
    }
}
