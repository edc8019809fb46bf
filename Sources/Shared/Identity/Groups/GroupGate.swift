/// The endpoint access gate (`ENABLE_GROUP_BASED_ACCESS` + `GROUP_NAMES`).
///
/// A user passes when the gate is off, or when any of these holds: one of their groups is
/// an allowed group; they hold `ndp_admin`; they belong to the endpoint's own group
/// (`AFFINITIES_EP_UUID`). Comparison ignores case, surrounding whitespace and slashes.
public struct GroupGate: Sendable {
    public enum Decision: Sendable, Equatable {
        /// The gate is off; upstream then reports `NDP_Endpoint_membership: null`.
        case open
        /// The first of the user's groups (in the IdP's order) that is allowed, normalised,
        /// which upstream reports as `NDP_Endpoint_membership`.
        case member(group: String)
        /// Let in by the `ndp_admin` role or the endpoint's own group.
        case endpointAdministrator
        case denied(Denial)

        public var isAllowed: Bool {
            if case .denied = self { return false }
            return true
        }

        /// The value upstream returns as `NDP_Endpoint_membership`.
        public var membership: String? {
            if case .member(let group) = self { return group }
            return nil
        }
    }

    public enum Denial: Sendable, Equatable {
        case noGroupsConfigured
        case notAMember
    }

    public let enabled: Bool
    public let allowedGroups: [String]
    public let endpointGroup: String?

    public init(settings: AccessSettings) {
        self.enabled = settings.groupBasedAccess
        self.allowedGroups = settings.groupNames.map(GroupName.normalize).filter { !$0.isEmpty }
        self.endpointGroup = settings.endpointUUID.map(GroupName.normalize).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func evaluate(_ user: UserIdentity) -> Decision {
        guard enabled else { return .open }
        let userGroups = user.groups.map(GroupName.normalize)
        let allowed = Set(allowedGroups)
        if let match = userGroups.first(where: allowed.contains) {
            return .member(group: match)
        }
        if user.roles.contains(where: { RoleName.normalize($0) == "ndp_admin" }) {
            return .endpointAdministrator
        }
        if let endpointGroup, userGroups.contains(where: { $0 == endpointGroup || $0.hasSuffix("/" + endpointGroup) }) {
            return .endpointAdministrator
        }
        return .denied(allowedGroups.isEmpty ? .noGroupsConfigured : .notAMember)
    }
}
