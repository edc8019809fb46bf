/// The object a call acts on, as far as the policy cares.
public struct PolicyObject: Sendable, Equatable {
    public var mode: PolicyMode
    /// For the audit log (a pod name, a dataset id); nil for objects without one.
    public var id: String?
    /// The `ndp_user_id` of whoever created it (`Object.Creator`).
    public var creator: String?
    /// The user it belongs to, as the service names users (`Object.Owner`).
    public var owner: String?

    public init(mode: PolicyMode, id: String? = nil, creator: String? = nil, owner: String? = nil) {
        self.mode = mode
        self.id = id
        self.creator = creator
        self.owner = owner
    }
}

/// A verified caller, as each service knows its callers (an IdP user, a pods-backend silo).
/// `Any.Any` is decided by the policy alone and never asked; a caller without a credential
/// is no subject at all.
public protocol PolicySubject: Sendable {
    /// Names the caller in the audit log: the `ndp_user_id` or the kind of credential, never
    /// the credential itself.
    var auditName: String { get }

    /// Whether the caller holds `role`; the `Object` roles compare against `object`.
    func holds(_ role: PolicyRole, on object: PolicyObject) -> Bool
}
