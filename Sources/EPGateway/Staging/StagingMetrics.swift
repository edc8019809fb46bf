import Metrics

/// What operators watch of staging: `staging_jobs_total{method, result}` (result succeeded or
/// failed), `staging_bytes_total{method}` (bytes copied, uploaded or sent) and
/// `staging_jobs_active` (queued or running in this process).
struct StagingMetrics: Sendable {
    private let finished: [String: Counter]
    private let bytes: [StagingMethod: Counter]
    let active: Gauge

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        var finished: [String: Counter] = [:]
        var bytes: [StagingMethod: Counter] = [:]
        for method in StagingMethod.allCases {
            for result in [StagingJob.Status.succeeded, .failed] {
                finished[Self.key(method, result)] = Counter(
                    label: "staging_jobs_total", dimensions: [("method", method.rawValue), ("result", result.rawValue)], factory: factory)
            }
            bytes[method] = Counter(label: "staging_bytes_total", dimensions: [("method", method.rawValue)], factory: factory)
        }
        self.finished = finished
        self.bytes = bytes
        self.active = Gauge(label: "staging_jobs_active", factory: factory)
    }

    private static func key(_ method: StagingMethod, _ status: StagingJob.Status) -> String { "\(method.rawValue)/\(status.rawValue)" }

    /// Counts a job that reached its end.
    func count(_ job: StagingJob) {
        guard job.status.isFinished else { return }
        finished[Self.key(job.method, job.status)]?.increment()
        if job.bytesDone > 0 { bytes[job.method]?.increment(by: job.bytesDone) }
    }
}
