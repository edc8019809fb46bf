import BrokerWire
import Foundation
import ServiceKit

/// Counters kept by the routing thread for the control socket's STATISTICS answer.
struct BrokerCounters {
    var invokes = 0
    var cancels = 0
    var replies = 0
    var heartbeats = 0
    var errors: [BrokerError: Int] = [:]
}

/// The JSON the control socket answers to STATISTICS.
struct BrokerStatistics: Codable, Equatable {
    struct Messages: Codable, Equatable {
        var invoke: Int
        var cancel: Int
        var reply: Int
        var heartbeat: Int
    }

    /// Spelled out rather than converted: a conversion would also rewrite the identities
    /// that key `servers` (a `sub` with capitals).
    enum CodingKeys: String, CodingKey {
        case uptimeSeconds = "uptime_seconds"
        case messagesRouted = "messages_routed"
        case errors
        case pendingMessages = "pending_messages"
        case awaitingServer = "awaiting_server"
        case knownTokens = "known_tokens"
        case clientRoutes = "client_routes"
        case connectedServers = "connected_servers"
        case staleServers = "stale_servers"
        case serverRefusals = "server_refusals"
        case servers
    }

    var uptimeSeconds: Double
    var messagesRouted: Messages
    var errors: [String: Int]
    var pendingMessages: Int
    /// Calls waiting for their server to reconnect, just after a start.
    var awaitingServer: Int
    var knownTokens: Int
    /// Clients the broker can still route answers back to.
    var clientRoutes: Int
    var connectedServers: Int
    var staleServers: Int
    /// Server connections and messages refused, by ``ServerRefusal``.
    var serverRefusals: [String: Int] = [:]
    var servers: [String: BrokerServerState]

    static func make(
        counters: BrokerCounters, registry: ServerRegistry, pending: Int, awaitingServer: Int = 0, knownTokens: Int, clientRoutes: Int = 0,
        refusals: [ServerRefusal: Int] = [:],
        startedAt: ContinuousClock.Instant, now: ContinuousClock.Instant
    ) -> BrokerStatistics {
        let servers = registry.records.mapValues { serverState($0, in: registry, now: now) }
        return BrokerStatistics(
            uptimeSeconds: (now - startedAt).reportedSeconds,
            messagesRouted: Messages(invoke: counters.invokes, cancel: counters.cancels, reply: counters.replies, heartbeat: counters.heartbeats),
            errors: Dictionary(uniqueKeysWithValues: BrokerError.allCases.map { ($0.rawValue, counters.errors[$0] ?? 0) }),
            pendingMessages: pending,
            awaitingServer: awaitingServer,
            knownTokens: knownTokens,
            clientRoutes: clientRoutes,
            connectedServers: servers.values.filter { $0.state == .live }.count,
            staleServers: servers.values.filter { $0.state == .stale }.count,
            serverRefusals: Dictionary(uniqueKeysWithValues: ServerRefusal.allCases.map { ($0.rawValue, refusals[$0] ?? 0) }),
            servers: servers
        )
    }

    /// One server's entry; `/servers/{identity}` answers it with the identity added.
    static func serverState(_ record: ServerRegistry.Record, in registry: ServerRegistry, now: ContinuousClock.Instant) -> BrokerServerState {
        BrokerServerState(
            state: registry.state(of: record, at: now),
            secondsSinceLastSeen: (now - record.lastSeen).reportedSeconds,
            secondsSinceLastHeartbeat: record.lastHeartbeat.map { (now - $0).reportedSeconds },
            secondsSinceLastCall: record.lastCall.map { (now - $0).reportedSeconds },
            connectedForSeconds: (now - record.firstSeen).reportedSeconds,
            replacements: record.replacements
        )
    }

    func json() -> [UInt8] { (try? WireJSON.encode(self)) ?? Array("{}".utf8) }
}

extension Duration {
    /// Seconds rounded to the millisecond: what the statistics report.
    var reportedSeconds: Double { (seconds * 1000).rounded() / 1000 }
}
