/// Which connection each user's calls go to, on the routing thread.
///
/// A server connection is known by the user its CURVE key belongs to (or, for an
/// unauthenticated connection when the operator allows them, by the identity it states).
/// libzmq's routing identity only names the connection: servers do not choose it, so no
/// peer can take over or block another's by stating it. As ROUTER_HANDOVER did before,
/// the newest connection of a user wins (a restarted server takes over at once); older
/// ones still alive are not routed to again.
struct ServerConnections {
    enum Origin: Equatable {
        case authenticated(publicKey: String)
        case unauthenticated
    }

    struct Connection: Equatable {
        var routingID: [UInt8]
        var origin: Origin
    }

    enum Event: Equatable {
        /// The first connection of the user (or the first since the last was lost).
        case routed
        /// A newer connection of the user took the route over.
        case tookOver
        /// The route was already this connection's, or an older connection spoke.
        case none
    }

    /// Older connections remembered per user, so they cannot take the route back.
    static let supersededLimit = 8

    private(set) var current: [String: Connection] = [:]
    private var superseded: [String: [[UInt8]]] = [:]

    /// A message from `connection`, which belongs to `sub`.
    mutating func heard(_ connection: Connection, of sub: String) -> Event {
        guard let route = current[sub] else {
            current[sub] = connection
            return .routed
        }
        guard route.routingID != connection.routingID else { return .none }
        if superseded[sub]?.contains(connection.routingID) == true { return .none }
        var older = superseded[sub] ?? []
        older.append(route.routingID)
        superseded[sub] = Array(older.suffix(Self.supersededLimit))
        current[sub] = connection
        return .tookOver
    }

    /// The route of `sub` is gone (the connection closed, or its key was withdrawn).
    @discardableResult
    mutating func drop(_ sub: String) -> Connection? {
        current.removeValue(forKey: sub)
    }
}

extension ServerConnections {
    /// Forgets everything about users not in `subs` (servers the registry forgot).
    mutating func retain(_ subs: Set<String>) {
        superseded = superseded.filter { subs.contains($0.key) || current[$0.key] != nil }
    }
}
