import AccessPolicy
import Identity
import ServiceKit

extension AuthDialect {
    /// The access policy refused a user. A rule made only of endpoint tiers is refused in
    /// upstream's words: the gate's text when the gate is what failed (unchanged, clients match
    /// it), else the tier's, followed by what the policy asks for. Other rules (creator, owner)
    /// get the policy's own sentence.
    public func denied(_ decision: PolicyDecision, gate: GroupGate.Decision) -> APIError {
        let roles = decision.rule?.roles ?? []
        let tiers: [PolicyRole: RoleTier] = [.endpointMember: .none, .endpointViewer: .viewer, .endpointWriter: .writer, .endpointAdmin: .admin]
        guard !roles.isEmpty, let weakest = roles.compactMap({ tiers[$0] }).min(), roles.allSatisfy({ tiers[$0] != nil }) else {
            return APIError(.forbidden, detail: decision.denialMessage)
        }
        if weakest != .admin, case .denied(let denial) = gate {
            return gateDenied(denial, reading: weakest == RoleTier.none && decision.operation == .read)
        }
        let text: String
        switch weakest {
        case .admin: text = Self.adminRequired
        case .writer: text = Self.writerRequired
        default: text = "You do not have permission to read resources on this Endpoint. Ask an administrator to grant you a role."
        }
        return APIError(.forbidden, detail: "\(text) \(decision.denialMessage)")
    }
}
