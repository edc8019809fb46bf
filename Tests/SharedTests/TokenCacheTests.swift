import Foundation
import Identity
import Metrics
import Prometheus
import TestFixtures
import TestSupport
import Testing

@testable import DevIdPKit

/// The cache in front of a real dev IdP; every IdP call is counted by the IdP itself.
@Suite("Auth cache")
struct TokenCacheTests {
    static func cache(
        _ idp: DevIdPFixture, ttl: Duration = .seconds(60), negativeTTL: Duration = .seconds(10), maxEntries: Int = 100,
        clock: ManualClock = ManualClock(), logs: LogCapture = LogCapture(), registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) -> CachingIdentityProvider {
        CachingIdentityProvider(
            upstream: HTTPIdentityProvider(url: idp.informationURL, timeout: .seconds(5)),
            ttl: ttl, negativeTTL: negativeTTL, maxEntries: maxEntries, clock: clock.clock,
            metricsFactory: PrometheusMetricsFactory(registry: registry), logger: logs.logger()
        )
    }

    @Test("a valid token is looked up once per TTL")
    func positiveTTL() async throws {
        try await DevIdPFixture.run { idp in
            let clock = ManualClock()
            let cache = Self.cache(idp, clock: clock)
            for _ in 0..<5 { _ = try await cache.identify(token: "demo-token") }
            #expect(await idp.informationRequests == 1)
            clock.advance(by: .seconds(59))
            _ = try await cache.identify(token: "demo-token")
            #expect(await idp.informationRequests == 1)
            clock.advance(by: .seconds(2))
            _ = try await cache.identify(token: "demo-token")
            #expect(await idp.informationRequests == 2)
            let stats = await cache.currentStatistics()
            #expect(stats.hits == 5 && stats.misses == 2 && stats.idpCalls == 2)
        }
    }

    @Test("forgetting a user drops their cached identities only: their next request asks the IdP, others' do not")
    func forgetSubject() async throws {
        try await DevIdPFixture.run { idp in
            let cache = Self.cache(idp)
            let demo = try await cache.identify(token: "demo-token")
            _ = try await cache.identify(token: "viewer-token")
            #expect(await idp.informationRequests == 2)
            #expect(await cache.forget(subject: try #require(demo.subject)) == 1)
            #expect(await cache.forget(subject: "nobody") == 0)
            _ = try await cache.identify(token: "viewer-token")
            #expect(await idp.informationRequests == 2)
            _ = try await cache.identify(token: "demo-token")
            #expect(await idp.informationRequests == 3)
        }
    }

    @Test("a lookup in flight when its user is forgotten is answered but not cached: the next request asks again")
    func forgetDuringLookup() async throws {
        try await DevIdPFixture.run { idp in
            let cache = Self.cache(idp)
            await idp.faults.set(faults(hold: true))
            let lookup = Task { try await cache.identify(token: "demo-token") }
            try await waitUntil("the lookup is parked at the IdP") { await idp.faults.counters.held == 1 }
            #expect(await cache.forget(subject: "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e") == 0)
            await idp.faults.set(FaultInjector.Faults())
            #expect(try await lookup.value.sub == "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e")
            _ = try await cache.identify(token: "demo-token")
            #expect(await idp.informationRequests == 2)
            // Now cached again, as usual.
            _ = try await cache.identify(token: "demo-token")
            #expect(await idp.informationRequests == 2)
        }
    }

    @Test("a rejected token is remembered for the shorter negative TTL")
    func negativeTTL() async throws {
        try await DevIdPFixture.run { idp in
            let clock = ManualClock()
            let cache = Self.cache(idp, clock: clock)
            for _ in 0..<3 {
                await #expect(throws: IdentityProviderError.unauthorized) { try await cache.identify(token: "nope") }
            }
            #expect(await idp.informationRequests == 1)
            clock.advance(by: .seconds(11))
            await #expect(throws: IdentityProviderError.unauthorized) { try await cache.identify(token: "nope") }
            #expect(await idp.informationRequests == 2)
        }
    }

    @Test("IdP outages are not cached: the next request asks again")
    func transientFailuresNotCached() async throws {
        try await DevIdPFixture.run { idp in
            let cache = Self.cache(idp)
            await idp.faults.set(faults(status: 500))
            await #expect(throws: IdentityProviderError.internalError) { try await cache.identify(token: "demo-token") }
            await #expect(throws: IdentityProviderError.internalError) { try await cache.identify(token: "demo-token") }
            await idp.faults.reset()
            let user = try await cache.identify(token: "demo-token")
            #expect(user.username == "demo@example.org")
            #expect(await idp.informationRequests == 1)  // reset() cleared the two failed calls' count
            #expect(await cache.currentStatistics().idpCalls == 3)
        }
    }

    @Test("concurrent lookups of one new token make exactly one IdP call")
    func coalescing() async throws {
        try await DevIdPFixture.run { idp in
            let cache = Self.cache(idp)
            let callers = 50
            await idp.faults.set(faults(hold: true))
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<callers {
                    group.addTask { try await cache.identify(token: "demo-token").sub }
                }
                // Every caller is either the one waiting on the IdP or queued behind it.
                try await waitUntil("all callers wait on one IdP call, parked at the IdP") {
                    let stats = await cache.currentStatistics()
                    let held = await idp.faults.counters.held
                    return stats.misses == 1 && stats.coalesced == callers - 1 && held == 1
                }
                await idp.faults.set(FaultInjector.Faults())
                var subjects: [String] = []
                for try await sub in group { subjects.append(sub) }
                #expect(subjects == Array(repeating: "0b7d1c52-4a6e-4f0a-9d3e-5a1f2c3b4d5e", count: callers))
            }
            #expect(await idp.informationRequests == 1)
        }
    }

    @Test("the cache holds at most maxEntries tokens, dropping the oldest")
    func bounded() async throws {
        try await DevIdPFixture.run { idp in
            let clock = ManualClock()
            let cache = Self.cache(idp, maxEntries: 2, clock: clock)
            for token in ["demo-token", "viewer-token", "admin-token"] {
                _ = try await cache.identify(token: token)
                clock.advance(by: .seconds(1))
            }
            #expect(await cache.currentStatistics().entries == 2)
            _ = try await cache.identify(token: "admin-token")
            #expect(await idp.informationRequests == 3)
            _ = try await cache.identify(token: "demo-token")  // the oldest was evicted
            #expect(await idp.informationRequests == 4)
        }
    }

    @Test("a TTL of zero turns the cache off, as upstream")
    func disabled() async throws {
        try await DevIdPFixture.run { idp in
            let cache = Self.cache(idp, ttl: .zero, negativeTTL: .zero)
            for _ in 0..<3 { _ = try await cache.identify(token: "demo-token") }
            #expect(await idp.informationRequests == 3)
        }
    }

    @Test("metrics count hits, misses, coalescing, outcomes and latency")
    func metrics() async throws {
        try await DevIdPFixture.run { idp in
            let registry = PrometheusCollectorRegistry()
            let cache = Self.cache(idp, registry: registry)
            _ = try await cache.identify(token: "demo-token")
            _ = try await cache.identify(token: "demo-token")
            _ = try? await cache.identify(token: "bad")
            let text = registry.emitToString()
            #expect(text.contains("auth_cache_hits_total 1"))
            #expect(text.contains("auth_cache_misses_total 2"))
            #expect(text.contains(#"auth_idp_requests_total{result="ok"} 1"#))
            #expect(text.contains(#"auth_idp_requests_total{result="unauthorized"} 1"#))
            #expect(text.contains("auth_idp_request_duration_seconds_count 2"))
        }
    }

    @Test("tokens never reach the logs, only their fingerprint")
    func noTokensInLogs() async throws {
        try await DevIdPFixture.run { idp in
            let logs = LogCapture()
            let cache = Self.cache(idp, logs: logs)
            let secret = "demo-token"
            _ = try await cache.identify(token: secret)
            _ = try? await cache.identify(token: "another-secret-value")
            await idp.faults.set(faults(status: 500))
            _ = try? await cache.identify(token: "third-secret-value")
            #expect(!logs.text.isEmpty)
            #expect(logs.text.contains(TokenDigest(secret).fingerprint))
            for token in [secret, "another-secret-value", "third-secret-value"] {
                #expect(!logs.text.contains(token))
            }
        }
    }
}
