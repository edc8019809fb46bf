import AccessPolicy
import Logging
import Metrics
import Prometheus
import TestSupport
import Testing

/// A caller made of the roles it holds; Object roles compare with its name.
struct Holder: PolicySubject {
    let name: String
    let roles: Set<PolicyRole>

    var auditName: String { name }

    func holds(_ role: PolicyRole, on object: PolicyObject) -> Bool {
        switch role {
        case .anyone, .authenticated: true
        case .objectOwner: object.owner == name
        case .objectCreator: object.creator == name
        default: roles.contains(role)
        }
    }
}

@Suite("Access policy decisions")
struct PolicyDecisionTests {
    let policy = LoadedPolicy.builtIn().policy
    let writer = Holder(name: "w", roles: [.endpointMember, .endpointViewer, .endpointWriter])
    let admin = Holder(name: "a", roles: [.endpointMember, .endpointViewer, .endpointWriter, .endpointAdmin])
    let member = Holder(name: "m", roles: [.endpointMember])

    @Test("any entry of a rule allows the call, and the decision names it")
    func disjunction() {
        let mine = PolicyObject(mode: .public, creator: "w")
        #expect(policy.decide(writer, .dataset, .delete, mine).grantedBy == .objectCreator)
        #expect(policy.decide(admin, .dataset, .delete, mine).grantedBy == .endpointAdmin)
        let denied = policy.decide(member, .dataset, .delete, mine)
        #expect(!denied.allowed)
        #expect(
            denied.denialMessage == "The access policy does not allow you to delete dataset (public); it allows Object.Creator or Endpoint.Admin.")
    }

    @Test("every slot of the table is its own: a rule set for one (entity, mode, operation) is found there and nowhere else")
    func slots() {
        for entity in PolicyEntity.allCases {
            for mode in PolicyMode.allCases {
                for operation in PolicyOperation.allCases {
                    let single = AccessPolicy(rules: [entity: [mode: [operation: AccessPolicy.Rule([.endpointSilo])]]])
                    #expect(single.missingSlots.count == PolicyEntity.allCases.count * 12 - 1)
                    #expect(single.rule(entity, mode, operation)?.roles == [.endpointSilo])
                }
            }
        }
    }

    @Test("Any.Any needs no caller; every other entry does")
    func anonymous() {
        #expect(policy.decide(nil, .status, .read, PolicyObject(mode: .public)).grantedBy == .anyone)
        #expect(!policy.decide(nil, .status, .read, PolicyObject(mode: .protected)).allowed)
        #expect(policy.decide(member, .status, .read, PolicyObject(mode: .protected)).grantedBy == .authenticated)
    }

    @Test("the default's changes from upstream: deletes, rexec create and terminate, policy read")
    func defaults() {
        for entity in [PolicyEntity.organization, .dataset, .resource] {
            #expect(policy.rule(entity, .public, .delete)?.roles == [.objectCreator, .endpointAdmin])
        }
        #expect(policy.rule(.rexec, .private, .create)?.roles == [.endpointMember])
        #expect(policy.rule(.rexec, .private, .delete)?.roles == [.objectOwner])
        #expect(policy.rule(.rexec, .protected, .read)?.roles == [.endpointWriter])
        #expect(policy.rule(.policy, .public, .read)?.roles == [.authenticated])
        #expect(!policy.decide(member, .rexec, .delete, PolicyObject(mode: .private, owner: "someone else")).allowed)
        #expect(policy.decide(member, .rexec, .delete, PolicyObject(mode: .private, owner: "m")).grantedBy == .objectOwner)
    }

    @Test("decisions are counted by entity, operation and result; denials and allowed writes are audited")
    func countedAndAudited() async throws {
        let registry = PrometheusCollectorRegistry()
        let capture = LogCapture()
        let logger = capture.logger()
        let store = PolicyStore(
            loaded: .builtIn(), file: nil, metrics: PolicyMetrics(factory: PrometheusMetricsFactory(registry: registry)), logger: logger)
        let enforcer = PolicyEnforcer(store: store)
        _ = enforcer.decide(member, .status, .read, PolicyObject(mode: .protected), logger: logger)
        _ = enforcer.decide(member, .rexec, .read, PolicyObject(mode: .protected), logger: logger)
        _ = enforcer.decide(writer, .dataset, .create, PolicyObject(mode: .public, id: "ds-1"), logger: logger)
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains(#"policy_decisions_total{entity="status",operation="read",result="allowed"} 1"#))
        #expect(text.contains(#"policy_decisions_total{entity="rexec",operation="read",result="denied"} 1"#))
        #expect(text.contains(#"policy_decisions_total{entity="dataset",operation="create",result="allowed"} 1"#))
        let lines = capture.records
        // The allowed read is not audited.
        #expect(lines.count == 2)
        #expect(lines[0]["caller"] == "m" && lines[0]["entity"] == "rexec" && lines[0]["decision"] == "denied" && lines[0]["rule"] == nil)
        #expect(lines[1]["object"] == "ds-1" && lines[1]["decision"] == "allowed" && lines[1]["rule"] == "Endpoint.Writer")
        #expect(lines[1]["mode"] == "public" && lines[1]["operation"] == "create")
    }
}
