import Dispatch
import Essentials
import Logging
import Metrics

/// Puts a cache in front of an ``IdentityProvider`` so the IdP sees each token at most once
/// per TTL.
///
/// - Keys are SHA-256 digests: the cache never holds a token.
/// - Valid users are kept for `ttl`; token rejections (error key, 401, 403) for `negativeTTL`.
///   IdP outages are not cached: the next request asks again.
/// - Concurrent lookups of one uncached token share a single IdP call.
/// - At most `maxEntries` tokens are remembered; expired ones go first, then the oldest.
/// - A `ttl` of zero turns all of this off: every lookup calls the IdP, as upstream does.
public actor CachingIdentityProvider: IdentityProvider {
    public struct Statistics: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
        public var coalesced = 0
        public var idpCalls = 0
        public var entries = 0
    }

    private enum Outcome: Sendable {
        case user(UserIdentity)
        case rejected(IdentityProviderError)
    }

    private struct Entry {
        let outcome: Outcome
        let expiresAt: UInt64
    }

    private let upstream: any IdentityProvider
    private let ttl: UInt64
    private let negativeTTL: UInt64
    private let maxEntries: Int
    private let clock: CacheClock
    private let logger: Logger
    private let metrics: AuthMetrics

    private var entries: [TokenDigest: Entry] = [:]
    private var inFlight: [TokenDigest: Task<Result<UserIdentity, IdentityProviderError>, Never>] = [:]
    private var statistics = Statistics()
    /// Counts ``forget(subject:)`` calls; a lookup notes it when it starts.
    private var generation: UInt64 = 0
    /// When each subject was last forgotten (a generation), kept while lookups are in flight:
    /// a lookup that started before is answered but not remembered, so an identity read just
    /// before an access change cannot be cached after it.
    private var forgotten: [String: UInt64] = [:]

    public init(
        upstream: any IdentityProvider, ttl: Duration, negativeTTL: Duration, maxEntries: Int,
        clock: CacheClock = .system, metricsFactory: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "auth.cache")
    ) {
        self.upstream = upstream
        self.ttl = UInt64(max(0, ttl.nanoseconds))
        self.negativeTTL = UInt64(max(0, negativeTTL.nanoseconds))
        self.maxEntries = max(1, maxEntries)
        self.clock = clock
        self.logger = logger
        self.metrics = AuthMetrics(factory: metricsFactory)
    }

    public init(settings: AuthSettings, upstream: any IdentityProvider, metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger) {
        self.init(
            upstream: upstream, ttl: settings.cacheTTL, negativeTTL: settings.negativeCacheTTL,
            maxEntries: settings.cacheMaxEntries, metricsFactory: metricsFactory, logger: logger
        )
    }

    public func currentStatistics() -> Statistics {
        var snapshot = statistics
        snapshot.entries = entries.count
        return snapshot
    }

    /// Drops every cached identity of the user with `subject` (all their tokens), so the next
    /// request of theirs asks the IdP again: after their groups or roles changed (an approved
    /// access request). Returns how many entries went.
    @discardableResult
    public func forget(subject: String) -> Int {
        generation += 1
        if !inFlight.isEmpty { forgotten[subject] = generation }
        let keys = entries.compactMap { key, entry -> TokenDigest? in
            if case .user(let user) = entry.outcome, user.subject == subject { return key }
            return nil
        }
        for key in keys { entries[key] = nil }
        return keys.count
    }

    public func identify(token: String) async throws -> UserIdentity {
        let key = TokenDigest(token)
        guard ttl > 0 else {
            return try await callUpstream(token: token, key: key).get()
        }
        if let entry = entries[key] {
            if entry.expiresAt > clock.now() {
                statistics.hits += 1
                metrics.hits.increment()
                switch entry.outcome {
                case .user(let user): return user
                case .rejected(let error): throw error
                }
            }
            entries[key] = nil
        }
        if let pending = inFlight[key] {
            statistics.coalesced += 1
            metrics.coalesced.increment()
            return try await pending.value.get()
        }
        statistics.misses += 1
        metrics.misses.increment()
        let lookup = Task { await self.callUpstream(token: token, key: key) }
        let started = generation
        inFlight[key] = lookup
        let result = await lookup.value
        inFlight[key] = nil
        if case .success(let user) = result, let at = forgotten[user.sub], at > started {
            logger.debug("identity not cached: the user's access changed during the lookup", metadata: ["user.sub": "\(user.sub)"])
        } else {
            remember(result, for: key)
        }
        if inFlight.isEmpty { forgotten.removeAll() }
        return try result.get()
    }

    private func callUpstream(token: String, key: TokenDigest) async -> Result<UserIdentity, IdentityProviderError> {
        statistics.idpCalls += 1
        let started = DispatchTime.now().uptimeNanoseconds
        let result: Result<UserIdentity, IdentityProviderError>
        do {
            result = .success(try await upstream.identify(token: token))
        } catch let error as IdentityProviderError {
            result = .failure(error)
        } catch {
            result = .failure(.unreachable(reason: String(describing: error)))
        }
        metrics.idpLatency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        switch result {
        case .success(let user):
            metrics.outcome("ok").increment()
            logger.debug("token validated", metadata: ["token": "\(key.fingerprint)", "user.sub": "\(user.sub)"])
        case .failure(let error):
            metrics.outcome(error.kind).increment()
            let level: Logger.Level = error.isTokenRejection ? .info : .warning
            logger.log(level: level, "token not validated", metadata: ["token": "\(key.fingerprint)", "reason": "\(error.kind)"])
        }
        return result
    }

    private func remember(_ result: Result<UserIdentity, IdentityProviderError>, for key: TokenDigest) {
        let lifetime: UInt64
        let outcome: Outcome
        switch result {
        case .success(let user):
            lifetime = ttl
            outcome = .user(user)
        case .failure(let error) where error.isTokenRejection && negativeTTL > 0:
            lifetime = negativeTTL
            outcome = .rejected(error)
        case .failure:
            return
        }
        let now = clock.now()
        if entries.count >= maxEntries { evict(now: now) }
        entries[key] = Entry(outcome: outcome, expiresAt: now + lifetime)
        metrics.entries.record(entries.count)
    }

    /// Drops expired entries; if none had expired, drops the one closest to expiry.
    private func evict(now: UInt64) {
        entries = entries.filter { $0.value.expiresAt > now }
        while entries.count >= maxEntries, let oldest = entries.min(by: { $0.value.expiresAt < $1.value.expiresAt }) {
            entries[oldest.key] = nil
        }
    }
}

/// The auth cache's Prometheus series.
struct AuthMetrics: Sendable {
    let hits: Counter
    let misses: Counter
    let coalesced: Counter
    let idpLatency: Metrics.Timer
    let entries: Gauge
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
        hits = Counter(label: "auth_cache_hits_total", factory: factory)
        misses = Counter(label: "auth_cache_misses_total", factory: factory)
        coalesced = Counter(label: "auth_cache_coalesced_total", factory: factory)
        idpLatency = Metrics.Timer(label: "auth_idp_request_duration_seconds", factory: factory)
        entries = Gauge(label: "auth_cache_entries", factory: factory)
    }

    func outcome(_ result: String) -> Counter {
        Counter(label: "auth_idp_requests_total", dimensions: [("result", result)], factory: factory)
    }
}
