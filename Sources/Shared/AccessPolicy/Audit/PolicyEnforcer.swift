import Logging

/// Where the services ask the policy: decides against the policy in force, counts the
/// decision, and writes the audit line for every denial and every allowed write. The
/// services turn a denial into their own 401/403 wording.
public struct PolicyEnforcer: Sendable {
    public let store: PolicyStore

    public init(store: PolicyStore) {
        self.store = store
    }

    /// The rule for a route whose object is known before the handler runs.
    public func rule(for binding: PolicyBinding) -> AccessPolicy.Rule? {
        store.current.policy.rule(binding.entity, binding.object.mode, binding.operation)
    }

    public func decide(
        _ subject: (any PolicySubject)?, _ entity: PolicyEntity, _ operation: PolicyOperation, _ object: PolicyObject, logger: Logger
    ) -> PolicyDecision {
        let decision = store.current.policy.decide(subject, entity, operation, object)
        store.metrics.count(decision)
        if !decision.allowed || operation.isWrite { audit(decision, subject: subject, logger: logger) }
        return decision
    }

    /// One structured line: who, what, on which object, the outcome and the entry that allowed it.
    private func audit(_ decision: PolicyDecision, subject: (any PolicySubject)?, logger: Logger) {
        var metadata: Logger.Metadata = [
            "audit": "policy",
            "caller": "\(subject?.auditName ?? "anonymous")",
            "entity": "\(decision.entity.rawValue)",
            "mode": "\(decision.object.mode.rawValue)",
            "operation": "\(decision.operation.rawValue)",
            "decision": "\(decision.allowed ? "allowed" : "denied")",
        ]
        if let id = decision.object.id { metadata["object"] = "\(id)" }
        if let granted = decision.grantedBy { metadata["rule"] = "\(granted.rawValue)" }
        logger.notice("access \(decision.allowed ? "allowed" : "denied")", metadata: metadata)
    }
}
