import BrokerWire

/// What the broker knows of each rexec server (keyed by identity = user `sub`): when it was
/// last heard from, and whether the last attempt to reach it failed. ZeroMQ does not report
/// which identities are connected, so "connected" means heard from and not since unreachable.
/// Owned by the routing thread.
struct ServerRegistry {
    struct Record: Equatable {
        var firstSeen: ContinuousClock.Instant
        var lastSeen: ContinuousClock.Instant
        var lastHeartbeat: ContinuousClock.Instant?
        /// The last call (invoke) routed to it: its activity, for idle reaping.
        var lastCall: ContinuousClock.Instant?
        var instance: [UInt8]?
        var unreachable = false
        /// It said goodbye: calls are refused until it is heard from again.
        var departed = false
        /// How often another process took this identity over.
        var replacements = 0
        /// Already reported stale (logged once per silence).
        var reportedStale = false
    }

    typealias State = BrokerServerState.State

    enum Event: Equatable {
        case appeared
        /// Same identity, another process: ROUTER_HANDOVER gave the new connection the route.
        case replaced(previousInstance: [UInt8])
        case returned
        case none
    }

    let staleAfter: Duration
    private(set) var records: [String: Record] = [:]

    init(staleAfter: Duration) {
        self.staleAfter = staleAfter
    }

    /// Any message from `id`. Heartbeats carry our server's instance id.
    mutating func heard(from id: String, at now: ContinuousClock.Instant, heartbeat: Bool, instance: [UInt8]? = nil) -> Event {
        guard var record = records[id] else {
            records[id] = Record(firstSeen: now, lastSeen: now, lastHeartbeat: heartbeat ? now : nil, instance: instance)
            return .appeared
        }
        var event = Event.none
        if let instance, let previous = record.instance, previous != instance {
            event = .replaced(previousInstance: previous)
            record.replacements += 1
        } else if record.unreachable || record.reportedStale || record.departed {
            event = .returned
        }
        if instance != nil { record.instance = instance }
        record.lastSeen = now
        if heartbeat { record.lastHeartbeat = now }
        record.unreachable = false
        record.departed = false
        record.reportedStale = false
        records[id] = record
        return event
    }

    /// A call was routed to `id`.
    mutating func noteCall(to id: String, at now: ContinuousClock.Instant) {
        records[id]?.lastCall = now
    }

    /// `id` said goodbye. A goodbye from an instance other than the current one (a process
    /// already replaced through handover) changes nothing. True if it took effect.
    mutating func departed(_ id: String, instance: [UInt8]?) -> Bool {
        guard let record = records[id], instance == nil || record.instance == nil || record.instance == instance else { return false }
        records[id]?.departed = true
        return true
    }

    func hasDeparted(_ id: String) -> Bool {
        records[id]?.departed ?? false
    }

    /// A send to `id` failed with EHOSTUNREACH: libzmq has no connection for it. True if
    /// this is news (it was not already known unreachable).
    @discardableResult
    mutating func markUnreachable(_ id: String) -> Bool {
        guard let record = records[id], !record.unreachable else { return false }
        records[id]?.unreachable = true
        return true
    }

    func state(of record: Record, at now: ContinuousClock.Instant) -> State {
        if record.departed { return .departed }
        if record.unreachable { return .unreachable }
        return now - record.lastSeen > staleAfter ? .stale : .live
    }

    /// Servers that turned stale since the last call (each reported once per silence); also
    /// forgets servers silent for much longer than the stale threshold so the table stays bounded.
    mutating func newlyStale(at now: ContinuousClock.Instant) -> [(id: String, silentFor: Duration)] {
        var stale: [(String, Duration)] = []
        let forgetAfter = max(staleAfter * 10, .seconds(3600))
        for (id, record) in records {
            let silence = now - record.lastSeen
            if silence > forgetAfter {
                records[id] = nil
            } else if silence > staleAfter, !record.reportedStale {
                records[id]?.reportedStale = true
                stale.append((id, silence))
            }
        }
        return stale
    }

    func count(in state: State, at now: ContinuousClock.Instant) -> Int {
        records.values.filter { self.state(of: $0, at: now) == state }.count
    }
}
