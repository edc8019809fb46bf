import Prometheus

/// The deploy API's own Prometheus series (the shared HTTP ones come from ServiceKit).
final class DeployMetrics: Sendable {
    let conflicts: Counter
    let terminations: Counter
    let reaped: Counter
    let invalidRequirements: Counter
    let managedServers: Gauge
    private let spawns: [ServerManager.SpawnOutcome: Counter]
    /// Time the API spends on a spawn (objects or process created), not the server's start.
    private let spawnDuration: DurationHistogram

    init(registry: PrometheusCollectorRegistry) {
        func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(descriptor: .init(namespace: "rexec_deploy", metricName: name, unitName: "total", helpText: help), labels: labels)
        }
        let spawnHelp = "Spawn requests by outcome."
        spawns = [
            .created: counter("spawns", spawnHelp, labels: [("outcome", "created")]),
            .unchanged: counter("spawns", spawnHelp, labels: [("outcome", "unchanged")]),
            .replaced: counter("spawns", spawnHelp, labels: [("outcome", "replaced")]),
        ]
        conflicts = counter("spawn_conflicts", "Spawns refused because a server with other requirements exists (409).")
        terminations = counter("terminations", "Servers removed by terminate.")
        reaped = counter("reaped", "Servers removed by the idle/lifetime reaper.")
        invalidRequirements = counter("invalid_requirements", "Spawns refused for invalid requirements.")
        managedServers = registry.makeGauge(
            descriptor: .init(namespace: "rexec_deploy", metricName: "servers", unitName: "", helpText: "Servers seen by the last reaper pass.")
        )
        spawnDuration = registry.makeDurationHistogram(
            descriptor: .init(namespace: "rexec_deploy", metricName: "spawn_duration", unitName: "seconds", helpText: "API time per spawn."),
            buckets: [
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
            ]
        )
    }

    func recordSpawn(_ outcome: ServerManager.SpawnOutcome, duration: Duration) {
        spawns[outcome]?.increment()
        spawnDuration.record(duration)
    }
}
