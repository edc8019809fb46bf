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

    // MARK: Declarations

    public static let authAPIURL = Setting<URL>.url(
        "AUTH_API_URL", default: upstreamDefaultURL, help: "Where tokens are validated (POST {\"token\": …})."
    )
    .flag("auth-api-url", "auth_api_url")
    public static let timeout = Setting<Duration>.seconds(
        "AUTH_TIMEOUT_SECONDS", default: 10, range: 0.05...120, help: "One identity-provider call's budget (connection set-up: 2 s).")
    public static let cacheTTL = Setting<Duration>.seconds(
        "AUTH_CACHE_TTL_SECONDS", default: 60, range: 0...86_400,
        help: "How long a valid token's user is reused without asking the identity provider again; 0 turns the cache off.")
    /// Follows the cache TTL: 10 s, or less when the cache keeps users for less.
    public static let negativeCacheTTL = Setting<Duration>.seconds(
        "AUTH_NEGATIVE_CACHE_TTL_SECONDS", default: 10, range: 0...86_400,
        help: "How long a refused token stays refused without asking again (outages are never cached); at most AUTH_CACHE_TTL_SECONDS."
    ).derivingDefault("10, or AUTH_CACHE_TTL_SECONDS when that is less") { source in
        min(.seconds(10), try source.value(cacheTTL))
    }
    public static let cacheMaxEntries = Setting<Int>.integer(
        "AUTH_CACHE_MAX_ENTRIES", default: 10_000, range: 1...10_000_000, help: "Bound on remembered tokens.")

    public static let settings = SettingGroup(
        "Identity provider", [authAPIURL, timeout, cacheTTL, negativeCacheTTL, cacheMaxEntries])

    public static func load(from source: ConfigurationSource) throws -> AuthSettings {
        let ttl = try source.value(cacheTTL)
        let negative = try source.value(negativeCacheTTL)
        // Only a value the user gave can be out of line: the default follows the TTL.
        if negative > ttl, ttl > .zero {
            throw source.refusal(
                negativeCacheTTL, expected: "a number of seconds no larger than AUTH_CACHE_TTL_SECONDS (\(source.given(cacheTTL)?.text ?? "60") s)")
        }
        return AuthSettings(
            authAPIURL: try source.value(authAPIURL),
            timeout: try source.value(timeout),
            cacheTTL: ttl,
            negativeCacheTTL: negative,
            cacheMaxEntries: try source.value(cacheMaxEntries)
        )
    }
}
