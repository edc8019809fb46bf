import Logging
import Metrics
import ServiceKit

extension CachingIdentityProvider {
    /// The production stack: HTTP client to `AUTH_API_URL` behind the cache.
    public static func live(
        settings: AuthSettings, logger: Logger, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) -> CachingIdentityProvider {
        CachingIdentityProvider(
            settings: settings,
            upstream: HTTPIdentityProvider(url: settings.authAPIURL, timeout: settings.timeout),
            metricsFactory: metricsFactory,
            logger: logger
        )
    }
}

extension ReadinessCheck {
    /// The IdP is up when its validation URL answers a bogus token sensibly: a rejection
    /// (401, 403, `error` key) or a user. Outages, timeouts and 5xx count as down.
    public static func identityProvider(_ settings: AuthSettings) -> ReadinessCheck {
        let probe = HTTPIdentityProvider(url: settings.authAPIURL, timeout: min(settings.timeout, .seconds(2)))
        return ReadinessCheck(name: "identity_provider") {
            do {
                _ = try await probe.identify(token: "readiness-probe")
            } catch let error as IdentityProviderError {
                if !error.isTokenRejection { throw error }
            }
        }
    }
}
