import Prometheus

/// The pods backend's own Prometheus series (the shared HTTP ones come from ServiceKit).
final class PodsMetrics: Sendable {
    private let creationResults: [String: Counter]
    /// From create_pod's answer to the pod being ready and set up.
    let creationDuration: DurationHistogram
    let deletions: Counter
    let adopted: Counter
    let storageDeleted: Counter
    let refused: Counter
    /// Pods deleted by the reaper because they expired.
    let reaped: Counter
    /// Expiries pushed later by extend_pod.
    let extensions: Counter
    /// Pods whose create call failed without a clear answer and turned up anyway: deleted.
    let abandoned: Counter

    init(registry: PrometheusCollectorRegistry) {
        func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(descriptor: .init(namespace: "user_pods", metricName: name, unitName: "total", helpText: help), labels: labels)
        }
        creationResults = Dictionary(
            uniqueKeysWithValues: ["ready", "failed", "deleted"].map {
                ($0, counter("creations", "Pod creations by result (deleted: removed before it was ready).", labels: [("result", $0)]))
            })
        creationDuration = registry.makeDurationHistogram(
            descriptor: .init(namespace: "user_pods", metricName: "creation_duration", unitName: "seconds", helpText: "Time from creation to ready."),
            buckets: [
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(20), .seconds(30), .seconds(60),
                .seconds(120),
            ]
        )
        deletions = counter("deletions", "Pods deleted on request.")
        adopted = counter("adopted_creations", "Creations finished by a replica other than (or a restart of) the one that began them.")
        storageDeleted = counter("storage_deleted", "User storage claims removed after the user's last pod.")
        refused = counter("manifests_refused", "create_pod requests refused for their manifest (whitelist, fetch, policy).")
        reaped = counter("reaped", "Pods deleted because they were past their expiry.")
        extensions = counter("extensions", "Pod expiries extended by extend_pod.")
        abandoned = counter(
            "abandoned_creations", "Pods created by a call the backend had already reported failed (a timed-out create), deleted again.")
    }

    func creations(result: String) -> Counter {
        creationResults[result]!
    }
}
