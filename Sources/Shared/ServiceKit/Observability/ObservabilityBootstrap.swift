import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics set-up; each executable calls it once, first thing.
public enum ObservabilityBootstrap {
    public static func logging(format: HTTPServerSettings.LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap(
            { label, provider in
                switch format {
                case .json:
                    return JSONLogHandler(label: label, level: level, metadataProvider: provider)
                case .text:
                    var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                    handler.logLevel = level
                    return handler
                }
            }, metadataProvider: RequestMetadata.provider)
    }

    /// Routes swift-metrics (ours and Hummingbird's `MetricsMiddleware`) to a Prometheus registry.
    public static func metrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
