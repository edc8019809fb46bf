import Foundation

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

    struct Server: Codable, Equatable {
        var state: ServerRegistry.State
        var secondsSinceLastSeen: Double
        /// nil for a server that has only replied, never sent a heartbeat.
        var secondsSinceLastHeartbeat: Double?
        /// nil until a call has been routed to it.
        var secondsSinceLastCall: Double?
        var connectedForSeconds: Double
        var replacements: Int

        init(_ record: ServerRegistry.Record, in registry: ServerRegistry, now: ContinuousClock.Instant) {
            state = registry.state(of: record, at: now)
            secondsSinceLastSeen = (now - record.lastSeen).seconds
            secondsSinceLastHeartbeat = record.lastHeartbeat.map { (now - $0).seconds }
            secondsSinceLastCall = record.lastCall.map { (now - $0).seconds }
            connectedForSeconds = (now - record.firstSeen).seconds
            replacements = record.replacements
        }
    }

    var uptimeSeconds: Double
    var messagesRouted: Messages
    var errors: [String: Int]
    var pendingMessages: Int
    var knownTokens: Int
    var connectedServers: Int
    var staleServers: Int
    var servers: [String: Server]

    static func make(
        counters: BrokerCounters, registry: ServerRegistry, pending: Int, knownTokens: Int,
        startedAt: ContinuousClock.Instant, now: ContinuousClock.Instant
    ) -> BrokerStatistics {
        let servers = registry.records.mapValues { Server($0, in: registry, now: now) }
        return BrokerStatistics(
            uptimeSeconds: (now - startedAt).seconds,
            messagesRouted: Messages(invoke: counters.invokes, cancel: counters.cancels, reply: counters.replies, heartbeat: counters.heartbeats),
            errors: Dictionary(uniqueKeysWithValues: BrokerError.allCases.map { ($0.rawValue, counters.errors[$0] ?? 0) }),
            pendingMessages: pending,
            knownTokens: knownTokens,
            connectedServers: servers.values.filter { $0.state == .live }.count,
            staleServers: servers.values.filter { $0.state == .stale }.count,
            servers: servers
        )
    }

    func json() -> [UInt8] { Self.encode(self) }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}

extension Duration {
    /// Seconds, rounded to milliseconds, for JSON.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return ((Double(seconds) + Double(attoseconds) / 1e18) * 1000).rounded() / 1000
    }
}
