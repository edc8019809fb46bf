import Foundation
import ServiceKit

/// Identity-provider settings shared by every service that checks tokens.
public struct AuthSettings: Sendable, Equatable {
    public static let upstreamDefaultURL = "https://idp.nationaldataplatform.org/temp/information"

    /// `AUTH_API_URL`: where tokens are validated (POST `{"token": …}`).
    public var authAPIURL: URL
    /// `AUTH_TIMEOUT_SECONDS`: one IdP call's budget (upstream: 10 s).
    public var timeout: Duration
    /// `AUTH_CACHE_TTL_SECONDS`: how long a valid token's user is reused. 0 turns caching off.
    public var cacheTTL: Duration
    /// `AUTH_NEGATIVE_CACHE_TTL_SECONDS`: how long a rejected token stays rejected without asking again.
    public var negativeCacheTTL: Duration
    /// `AUTH_CACHE_MAX_ENTRIES`: bound on remembered tokens.
    public var cacheMaxEntries: Int

    public init(
        authAPIURL: URL, timeout: Duration = .seconds(10), cacheTTL: Duration = .seconds(60),
        negativeCacheTTL: Duration = .seconds(10), cacheMaxEntries: Int = 10_000
    ) {
        self.authAPIURL = authAPIURL
        self.timeout = timeout
        self.cacheTTL = cacheTTL
        self.negativeCacheTTL = negativeCacheTTL
        self.cacheMaxEntries = cacheMaxEntries
    }

    public static func load(from source: ConfigurationSource) throws -> AuthSettings {
        let ttl = try source.seconds("AUTH_CACHE_TTL_SECONDS", default: 60, range: 0...86_400)
        let negative = try source.seconds("AUTH_NEGATIVE_CACHE_TTL_SECONDS", default: 10, range: 0...86_400)
        guard negative <= ttl || ttl == .zero else {
            throw ConfigurationError(
                variable: "AUTH_NEGATIVE_CACHE_TTL_SECONDS", value: source.raw("AUTH_NEGATIVE_CACHE_TTL_SECONDS") ?? "",
                expected: "a number of seconds no larger than AUTH_CACHE_TTL_SECONDS"
            )
        }
        return AuthSettings(
            authAPIURL: try source.url("AUTH_API_URL", default: upstreamDefaultURL),
            timeout: try source.seconds("AUTH_TIMEOUT_SECONDS", default: 10, range: 0.05...120),
            cacheTTL: ttl,
            negativeCacheTTL: negative,
            cacheMaxEntries: try source.integer("AUTH_CACHE_MAX_ENTRIES", default: 10_000, range: 1...10_000_000)
        )
    }
}
