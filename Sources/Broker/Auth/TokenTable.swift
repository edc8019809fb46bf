/// The routing thread's view of tokens: which are known (and until when) and which messages
/// wait for a validation in flight. A known token is routed on the spot; an unknown or expired
/// one parks its messages, in arrival order, until its validation comes back, so one slow
/// validation never holds up anybody else's messages.
///
/// Tokens are kept in memory only, never logged.
struct TokenTable<Waiting> {
    struct Entry {
        var sub: String
        /// Routed without asking again until then.
        var freshUntil: ContinuousClock.Instant
        /// If the IdP is down after `freshUntil`, still honoured until then.
        var graceUntil: ContinuousClock.Instant
    }

    enum Lookup: Equatable {
        case route(sub: String)
        /// Parked; `startValidation` when this message is the first to wait for the token.
        case parked(startValidation: Bool)
        /// Too many messages already wait for validations.
        case backlogFull
    }

    enum Resolution {
        case route(sub: String, waiting: [Waiting], servedStale: Bool)
        case refuse(waiting: [Waiting])
    }

    let ttl: Duration
    let outageGrace: Duration
    let maxWaiting: Int
    private var known: [String: Entry] = [:]
    private var waiting: [String: [Waiting]] = [:]
    private(set) var waitingCount = 0

    init(ttl: Duration, outageGrace: Duration, maxWaiting: Int) {
        self.ttl = ttl
        self.outageGrace = outageGrace
        self.maxWaiting = maxWaiting
    }

    var knownCount: Int { known.count }

    mutating func lookup(_ token: String, for message: Waiting, at now: ContinuousClock.Instant) -> Lookup {
        if waiting[token] == nil, let entry = known[token], now < entry.freshUntil {
            return .route(sub: entry.sub)
        }
        guard waitingCount < maxWaiting else { return .backlogFull }
        waitingCount += 1
        if waiting[token] != nil {
            waiting[token]!.append(message)
            return .parked(startValidation: false)
        }
        waiting[token] = [message]
        return .parked(startValidation: true)
    }

    /// A validation came back: what to do with the messages that waited for it.
    mutating func resolve(_ token: String, outcome: TokenOutcome, at now: ContinuousClock.Instant) -> Resolution {
        let parked = waiting.removeValue(forKey: token) ?? []
        waitingCount -= parked.count
        switch outcome {
        case .user(let sub):
            // With a zero TTL every message is validated (upstream's behaviour), and the entry
            // serves only to ride out an outage.
            if ttl > .zero || outageGrace > .zero {
                known[token] = Entry(sub: sub, freshUntil: now + ttl, graceUntil: now + ttl + outageGrace)
            }
            return .route(sub: sub, waiting: parked, servedStale: false)
        case .rejected, .forbidden:
            known[token] = nil
            return .refuse(waiting: parked)
        case .unavailable:
            if let entry = known[token], now < entry.graceUntil {
                return .route(sub: entry.sub, waiting: parked, servedStale: true)
            }
            return .refuse(waiting: parked)
        }
    }

    /// Drops entries past their grace so the table holds only tokens in recent use.
    mutating func evictExpired(at now: ContinuousClock.Instant) {
        known = known.filter { now < $0.value.graceUntil }
    }
}
