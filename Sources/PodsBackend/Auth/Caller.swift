/// Who is calling, as far as the credential tells.
enum Caller: Sendable, Equatable {
    /// A silo (shared secret or HMAC): trusted to name the user it acts for.
    case silo
    /// The operator's admin credential: any user, plus the admin endpoints.
    case admin
    /// A user's own bearer token: may act only for `id`.
    case user(String)
    /// `authModes` includes `none` and no credential came: upstream's trust.
    case anonymous

    /// May this caller act for `userID`?
    func mayActFor(_ userID: String) -> Bool {
        switch self {
        case .silo, .admin, .anonymous: true
        case .user(let id): id == userID
        }
    }

    var isAdmin: Bool { self == .admin }

    /// Silos and admins (not users) may map pod IPs to their owners.
    var mayResolveAddresses: Bool {
        switch self {
        case .silo, .admin, .anonymous: true
        case .user: false
        }
    }
}
