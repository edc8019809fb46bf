import Metrics

/// The policy's counters: `policy_decisions_total{entity, operation, result}` and the reloads.
/// The decision counters are made once, one per (entity, operation, result), so counting a
/// decision is an array index and an atomic add.
public struct PolicyMetrics: Sendable {
    private let decisions: [Counter]
    let reloaded: Counter
    let reloadFailures: Counter

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        var decisions: [Counter] = []
        for entity in PolicyEntity.allCases {
            for operation in PolicyOperation.allCases {
                for result in ["allowed", "denied"] {
                    decisions.append(
                        Counter(
                            label: "policy_decisions_total",
                            dimensions: [("entity", entity.rawValue), ("operation", operation.rawValue), ("result", result)], factory: factory))
                }
            }
        }
        self.decisions = decisions
        self.reloaded = Counter(label: "policy_reloads_total", dimensions: [("result", "success")], factory: factory)
        self.reloadFailures = Counter(label: "policy_reloads_total", dimensions: [("result", "error")], factory: factory)
    }

    func count(_ decision: PolicyDecision) {
        let index = (decision.entity.index * PolicyOperation.allCases.count + decision.operation.index) * 2 + (decision.allowed ? 0 : 1)
        decisions[index].increment()
    }
}
