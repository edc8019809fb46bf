import Prometheus

/// kbatch's Prometheus series: submissions by kind and outcome with the time the API spends on
/// each, and on the local runtime the runs going now and how the finished ones ended.
final class JobMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let submitDuration: DurationHistogram
    let localRunsActive: Gauge
    let logFollowers: Gauge

    enum Outcome: String {
        /// Made.
        case created
        /// A 4xx: a field refused, a bundle too big, the cap reached, a name taken.
        case refused
        /// The cluster failed or could not be reached.
        case failed
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        submitDuration = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "rexec_deploy", metricName: "kbatch_submit_duration", unitName: "seconds",
                helpText: "API time per kbatch submission, until the Job or CronJob exists."),
            buckets: [
                .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
            ])
        localRunsActive = registry.makeGauge(
            descriptor: .init(
                namespace: "rexec_deploy", metricName: "kbatch_local_runs_active", unitName: "",
                helpText: "kbatch pods running as local processes now."))
        logFollowers = registry.makeGauge(
            descriptor: .init(
                namespace: "rexec_deploy", metricName: "kbatch_log_followers", unitName: "", helpText: "kbatch logs being followed (stream=true) now."
            ))
    }

    func recordSubmission(kind: KbatchSubmission.Kind, outcome: Outcome, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(namespace: "rexec_deploy", metricName: "kbatch_submissions", unitName: "total", helpText: "kbatch submissions."),
            labels: [("kind", kind.rawValue), ("outcome", outcome.rawValue)]
        ).increment()
        if outcome == .created { submitDuration.record(duration) }
    }

    /// A local run ended; `reason` as in its container's terminated state (`Completed`, `Error`,
    /// `DeadlineExceeded`, `LogLimitExceeded`, `Interrupted`, `StartError`, `Deleted`).
    func recordLocalRunEnded(reason: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "rexec_deploy", metricName: "kbatch_local_runs_finished", unitName: "total",
                helpText: "kbatch pods run as local processes that have ended, by how."),
            labels: [("reason", reason)]
        ).increment()
    }
}
