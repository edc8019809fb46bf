/// How the simulated kubelet and controllers behave.
public struct SimulationSettings: Sendable {
    /// How an image that matches a rule misbehaves.
    public enum Failure: String, Sendable, CaseIterable {
        /// Stays Pending, waiting with `ImagePullBackOff`.
        case imagePullBackOff = "ImagePullBackOff"
        /// Runs but never becomes Ready; waiting with `CrashLoopBackOff`, restarts counting up.
        case crashLoopBackOff = "CrashLoopBackOff"
    }

    public struct FailureRule: Sendable {
        /// Matched as a substring of a container image.
        public var imageSubstring: String
        public var failure: Failure

        public init(imageSubstring: String, failure: Failure) {
            self.imageSubstring = imageSubstring
            self.failure = failure
        }
    }

    /// Time from scheduling to Running and Ready.
    public var podStartDelay: Duration = .milliseconds(300)
    /// Time the simulated kubelet takes to stop a deleted pod (capped by its grace period).
    public var podTerminationDelay: Duration = .milliseconds(200)
    /// Pod IPs come from 10.244.0.0/16.
    public var podNetworkPrefix = "10.244"
    public var failureRules: [FailureRule] = [
        .init(imageSubstring: "never-ready", failure: .imagePullBackOff),
        .init(imageSubstring: "crashloop", failure: .crashLoopBackOff),
    ]

    public init() {}

    func failure(forImages images: [String]) -> Failure? {
        failureRules.first { rule in images.contains { $0.contains(rule.imageSubstring) } }?.failure
    }
}
