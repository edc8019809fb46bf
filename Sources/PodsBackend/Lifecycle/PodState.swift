/// Where a pod is in the backend's own lifecycle, kept in its label
/// `sciencedata.dk/state` so every replica (and a restarted one) sees the same thing.
/// A pod being deleted is recognised by its `deletionTimestamp` instead.
enum PodState: String, Sendable {
    /// Created; the start jobs (services, ingress, tokens) are not done yet.
    case creating
    /// Ready and fully set up.
    case ready
    /// Did not become ready in time, or a start job failed; it is being removed.
    case failed
}
