import Prometheus

/// The broker's Prometheus series, made once on the registry the HTTP side port serves.
/// Counters and histograms here are atomic, so the routing thread records into them directly.
final class BrokerMetrics: Sendable {
    let clientMessages: Counter
    let cancelMessages: Counter
    let serverReplies: Counter
    let heartbeats: Counter
    let tokenHits: Counter
    let tokenValidations: Counter
    let staleAuthServed: Counter
    /// Time from a client message's arrival to its forwarding, token validation included.
    let routingLatency: DurationHistogram
    let connectedServers: Gauge
    let staleServers: Gauge
    let pendingMessages: Gauge
    private let errorCounters: [BrokerError: Counter]
    private let refusalCounters: [ServerRefusal: Counter]

    init(registry: PrometheusCollectorRegistry) {
        func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(descriptor: .init(namespace: "rexec_broker", metricName: name, unitName: "total", helpText: help), labels: labels)
        }
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: .init(namespace: "rexec_broker", metricName: name, unitName: "", helpText: help))
        }
        let routed = "Messages routed, by direction and kind."
        clientMessages = counter("messages_routed", routed, labels: [("direction", "client_to_server"), ("kind", "invoke")])
        cancelMessages = counter("messages_routed", routed, labels: [("direction", "client_to_server"), ("kind", "cancel")])
        serverReplies = counter("messages_routed", routed, labels: [("direction", "server_to_client"), ("kind", "reply")])
        heartbeats = counter("heartbeats", "Heartbeats received from rexec servers (recorded, not forwarded).")
        tokenHits = counter("token_lookups", "Client messages whose token was already validated.", labels: [("result", "hit")])
        tokenValidations = counter("token_lookups", "Client messages whose token was already validated.", labels: [("result", "validated")])
        staleAuthServed = counter("auth_outage_grace", "Token validations answered from an earlier result because the IdP was unavailable.")
        routingLatency = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "rexec_broker", metricName: "routing_latency", unitName: "seconds",
                helpText: "Time from a client message's arrival to its forwarding to the server, token validation included."),
            buckets: [
                .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(250), .seconds(1), .seconds(10),
            ]
        )
        connectedServers = gauge("connected_servers", "Rexec servers heard from recently and not since unreachable.")
        staleServers = gauge("stale_servers", "Rexec servers silent for longer than the stale threshold.")
        pendingMessages = gauge("pending_messages", "Client messages waiting for their token's validation.")
        errorCounters = Dictionary(
            uniqueKeysWithValues: BrokerError.allCases.map {
                ($0, counter("errors", "Messages not routed, by reason.", labels: [("kind", $0.rawValue)]))
            })
        refusalCounters = Dictionary(
            uniqueKeysWithValues: ServerRefusal.allCases.map {
                (
                    $0,
                    counter(
                        "server_refusals", "Server connections and messages refused, by reason (no key, unknown key, withdrawn key).",
                        labels: [("reason", $0.rawValue)])
                )
            })
    }

    func count(_ refusal: ServerRefusal) {
        refusalCounters[refusal]?.increment()
    }

    func count(_ error: BrokerError) {
        errorCounters[error]?.increment()
    }
}
