import AccessPolicy
import Identity

/// An IdP user as the access policy sees them: the gate and the role tiers answer the
/// `Endpoint` roles, their `sub` and `ndp_user_id` the `Object` ones. Each answer is worked
/// out when asked, so a rule of `User.Any` costs nothing beyond the token check.
public struct EndpointSubject: PolicySubject {
    public let user: UserIdentity
    let gate: GroupGate
    let tiers: RoleTiers

    public init(user: UserIdentity, gate: GroupGate, tiers: RoleTiers) {
        self.user = user
        self.gate = gate
        self.tiers = tiers
    }

    public var auditName: String { user.ndpUserID }

    public func holds(_ role: PolicyRole, on object: PolicyObject) -> Bool {
        switch role {
        case .anyone, .authenticated: true
        case .endpointMember: gate.evaluate(user).isAllowed
        // Upstream: the gate first, then the tier; the admin tier skips the gate.
        case .endpointViewer: gate.evaluate(user).isAllowed && tiers.tier(for: user) >= .viewer
        case .endpointWriter: gate.evaluate(user).isAllowed && tiers.tier(for: user) >= .writer
        case .endpointAdmin: tiers.tier(for: user) == .admin
        case .endpointSilo: false
        case .objectCreator: object.creator != nil && object.creator == user.ndpUserID
        case .objectOwner: object.owner != nil && object.owner == user.subject
        }
    }
}
