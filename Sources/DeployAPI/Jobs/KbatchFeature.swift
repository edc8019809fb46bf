import Access
import ServiceKit
import ServiceLifecycle

/// kbatch as a feature of the deploy API: its liveness, token check and profiles, the caller's
/// jobs, cronjobs and pods, and the backend's own work (the local runtime's runs and TTLs).
struct KbatchFeature: ServiceFeature {
    let settings: KbatchSettings
    let jobs: any KbatchBackend
    let metrics: JobMetrics

    var routes: [Route<IdentityRequestContext>] {
        KbatchRoutes(settings: settings).routes
            + KbatchJobRoutes(jobs: jobs, rules: settings.submission, metrics: metrics, prefix: settings.prefix).routes
    }

    var services: [any Service] { jobs.services }
}
