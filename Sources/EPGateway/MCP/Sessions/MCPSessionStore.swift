import Crypto
import Essentials
import Foundation
import NIOConcurrencyHelpers

/// An MCP session (`Mcp-Session-Id`): who opened it, which protocol revision it speaks, and
/// until when. It belongs to the user whose token initialized it; another user's request
/// naming it is answered as if it did not exist.
struct MCPSession: Codable, Sendable, Equatable {
    var id: String
    var owner_sub: String
    var protocol_version: String
    var client_name: String?
    var client_version: String?
    var created_at: String
    var expires_at: String

    var expired: Bool { (Timestamp.parseISO(expires_at) ?? .distantPast) <= Date() }
}

/// Where sessions live: the endpoint's database when it has one (SQLite, or PostgreSQL shared
/// by every replica, so a client's next request may land on any of them), else this process.
protocol MCPSessionStore: Sendable {
    func insert(_ session: MCPSession) async throws
    func session(_ id: String) async throws -> MCPSession?
    /// The owner's sessions, oldest first.
    func sessions(ownedBy sub: String) async throws -> [MCPSession]
    @discardableResult func delete(_ id: String) async throws -> Bool
}

extension MCPSessionStore {
    /// A new session for `owner`; their oldest ones (and any expired) go when they hold more
    /// than `maxPerUser`, so no client that never says goodbye fills the table.
    func open(
        owner: String, protocolVersion: String, client: (name: String?, version: String?), lifetime: Duration, maxPerUser: Int
    ) async throws -> MCPSession {
        let now = Date()
        let session = MCPSession(
            id: MCPSessionID.make(), owner_sub: owner, protocol_version: protocolVersion, client_name: client.name.map { String($0.prefix(200)) },
            client_version: client.version.map { String($0.prefix(100)) }, created_at: Timestamp.isoUTC(now),
            expires_at: Timestamp.isoUTC(now.addingTimeInterval(TimeInterval(lifetime.components.seconds))))
        let held = try await sessions(ownedBy: owner)
        let surplus = held.filter(\.expired) + held.filter { !$0.expired }.dropLast(max(0, maxPerUser - 1))
        for old in surplus { try await delete(old.id) }
        try await insert(session)
        return session
    }

    /// The caller's live session by id, or nil (unknown, expired, or someone else's).
    func live(_ id: String, owner: String) async throws -> MCPSession? {
        guard MCPSessionID.isWellFormed(id), let session = try await session(id) else { return nil }
        if session.expired {
            try await delete(id)
            return nil
        }
        return session.owner_sub == owner ? session : nil
    }
}

/// Session ids: 32 random bytes in hex (visible ASCII, as the transport requires), never
/// derived from anything a client could guess.
enum MCPSessionID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 64 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// Sessions as documents in the endpoint's database (``DocumentDatabase``).
struct DatabaseMCPSessionStore: MCPSessionStore {
    let database: any DocumentDatabase

    static let table = DocumentTable(name: "mcp_sessions", columns: ["owner_sub", "created_at"])

    /// The table: the session as JSON, its owner and creation time as columns for the
    /// per-user bound. The catalog database's schema version 7 on SQLite, 6 on PostgreSQL.
    static let migration = [
        """
        CREATE TABLE mcp_sessions (
            id text PRIMARY KEY,
            owner_sub text NOT NULL,
            created_at text NOT NULL,
            document text NOT NULL
        )
        """,
        "CREATE INDEX mcp_sessions_by_owner ON mcp_sessions (owner_sub, created_at)",
    ]

    func insert(_ session: MCPSession) async throws {
        let document = String(decoding: try JSONEncoder().encode(session), as: UTF8.self)
        try await database.insert(
            DocumentRow(id: session.id, columns: ["owner_sub": session.owner_sub, "created_at": session.created_at], document: document),
            into: Self.table)
    }

    func session(_ id: String) async throws -> MCPSession? {
        try await database.document(in: Self.table, id: id).map(Self.decoded)
    }

    func sessions(ownedBy sub: String) async throws -> [MCPSession] {
        try await database.documents(in: Self.table, where: .equals("owner_sub", sub), order: .ascending("created_at"), limit: nil)
            .map(Self.decoded)
    }

    func delete(_ id: String) async throws -> Bool {
        try await database.delete(from: Self.table, id: id)
    }

    static func decoded(_ text: String) throws -> MCPSession {
        try JSONDecoder().decode(MCPSession.self, from: Data(text.utf8))
    }
}

/// Sessions in this process, for an endpoint without a database of its own (a remote CKAN or
/// no catalog): one replica only, and a restart ends every session (clients start a new one
/// on the 404, as the transport asks them to).
final class MemoryMCPSessionStore: MCPSessionStore {
    private let sessions = NIOLockedValueBox<[String: MCPSession]>([:])

    func insert(_ session: MCPSession) async throws {
        sessions.withLockedValue { $0[session.id] = session }
    }

    func session(_ id: String) async throws -> MCPSession? {
        sessions.withLockedValue { $0[id] }
    }

    func sessions(ownedBy sub: String) async throws -> [MCPSession] {
        sessions.withLockedValue { Array($0.values) }.filter { $0.owner_sub == sub }.sorted { ($0.created_at, $0.id) < ($1.created_at, $1.id) }
    }

    func delete(_ id: String) async throws -> Bool {
        sessions.withLockedValue { $0.removeValue(forKey: id) != nil }
    }
}

/// A store's sessions remembered by this process for a moment (`freshFor`), so the requests of
/// one conversation do not each read the database: a session ended through this process is
/// forgotten at once, one ended through another replica is noticed here within `freshFor`
/// (the user's token stays valid either way, so nothing is gained in that moment).
final class RememberingMCPSessionStore: MCPSessionStore {
    private struct Remembered {
        let session: MCPSession
        let read: ContinuousClock.Instant
    }

    let inner: any MCPSessionStore
    let freshFor: Duration
    /// More remembered sessions than this and the memory starts afresh.
    let capacity: Int
    private let remembered = NIOLockedValueBox<[String: Remembered]>([:])

    init(_ inner: any MCPSessionStore, freshFor: Duration = .seconds(2), capacity: Int = 10_000) {
        self.inner = inner
        self.freshFor = freshFor
        self.capacity = capacity
    }

    private func remember(_ session: MCPSession) {
        remembered.withLockedValue { memory in
            if memory.count >= capacity { memory.removeAll(keepingCapacity: true) }
            memory[session.id] = Remembered(session: session, read: .now)
        }
    }

    func insert(_ session: MCPSession) async throws {
        try await inner.insert(session)
        remember(session)
    }

    func session(_ id: String) async throws -> MCPSession? {
        if let hit = remembered.withLockedValue({ $0[id] }), ContinuousClock.now - hit.read < freshFor { return hit.session }
        guard let session = try await inner.session(id) else {
            _ = remembered.withLockedValue { $0.removeValue(forKey: id) }
            return nil
        }
        remember(session)
        return session
    }

    func sessions(ownedBy sub: String) async throws -> [MCPSession] {
        try await inner.sessions(ownedBy: sub)
    }

    func delete(_ id: String) async throws -> Bool {
        _ = remembered.withLockedValue { $0.removeValue(forKey: id) }
        return try await inner.delete(id)
    }
}
