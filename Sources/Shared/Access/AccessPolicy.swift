import Hummingbird

/// The gate and the tiers together, with upstream's denial texts.
public struct AccessPolicy: Sendable {
    /// Which upstream wording a denial uses.
    public enum Wording: Sendable {
        /// EP write routes.
        case epWrite
        /// EP `/user/info`.
        case epEndpoint
        /// The deploy API's spawn gate.
        case deployAPI
    }

    public static let writerRequired =
        "You do not have permission to modify resources on this Endpoint. Ask an administrator to grant you the writer or admin role."
    public static let adminRequired = "Administrator role required."

    public let gate: GroupGate
    public let tiers: RoleTiers

    public init(settings: AccessSettings) {
        self.gate = GroupGate(settings: settings)
        self.tiers = RoleTiers(settings: settings)
    }

    /// Passes the gate or throws 403; returns the decision (its `membership` is upstream's
    /// `NDP_Endpoint_membership`).
    @discardableResult
    public func requireEndpointAccess(_ user: UserIdentity, wording: Wording) throws -> GroupGate.Decision {
        let decision = gate.evaluate(user)
        guard case .denied(let denial) = decision else { return decision }
        switch (wording, denial) {
        case (.epWrite, _):
            throw APIError(.forbidden, detail: "You do not have permission to perform this operation. Please contact the administrator.")
        case (.epEndpoint, _):
            throw APIError(.forbidden, detail: "You do not have permission to access this Endpoint. Please contact the administrator.")
        case (.deployAPI, .noGroupsConfigured):
            throw APIError(.forbidden, detail: "Group-based access is enabled but no groups are configured.")
        case (.deployAPI, .notAMember):
            throw APIError(.forbidden, detail: "Access forbidden: user is not a member of an allowed group.")
        }
    }

    /// Gate, then writer tier (EP write routes and `/status/rexec`).
    @discardableResult
    public func requireWriter(_ user: UserIdentity) throws -> GroupGate.Decision {
        let decision = try requireEndpointAccess(user, wording: .epWrite)
        guard tiers.tier(for: user) >= .writer else { throw APIError(.forbidden, detail: Self.writerRequired) }
        return decision
    }

    /// Admin tier only, no gate (EP access-request administration).
    public func requireAdmin(_ user: UserIdentity) throws {
        guard tiers.tier(for: user) == .admin else { throw APIError(.forbidden, detail: Self.adminRequired) }
    }
}
