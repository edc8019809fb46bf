import ServiceKit

/// The access levels of the services whose callers bring IdP tokens, from weakest to
/// strongest. ``EndpointAccess`` enforces them.
extension AccessLevel {
    /// Any valid token.
    public static let token = AccessLevel("token")
    /// A valid token of a user who passes the endpoint's group gate
    /// (`ENABLE_GROUP_BASED_ACCESS` / `GROUP_NAMES`; with the gate off, any valid token).
    public static let member = AccessLevel("member")
    /// A member at the writer tier or above (`ndp_writer`, `group:<G>:writer`, …).
    public static let writer = AccessLevel("writer")
    /// The admin tier; the gate does not apply.
    public static let admin = AccessLevel("admin")
}
