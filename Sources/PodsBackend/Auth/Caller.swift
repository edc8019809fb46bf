import AccessPolicy

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
}

/// A pods-backend caller as the access policy sees them. The admin credential holds the
/// endpoint tiers; a silo (and, with `authModes` none, anybody: upstream's trust) is
/// `Endpoint.Silo` and owns whatever user it names; a user's token owns only that user's
/// objects.
extension Caller: PolicySubject {
    var auditName: String {
        switch self {
        case .silo: "silo"
        case .admin: "admin credential"
        case .user(let id): "user \(id)"
        case .anonymous: "anonymous (BACKEND_AUTHMODES none)"
        }
    }

    func holds(_ role: PolicyRole, on object: PolicyObject) -> Bool {
        switch role {
        case .anyone, .authenticated: true
        case .endpointMember, .endpointViewer, .endpointWriter, .endpointAdmin: self == .admin
        case .endpointSilo: self == .silo || self == .anonymous
        case .objectOwner: object.owner.map(mayActFor) ?? false
        case .objectCreator: object.creator.map(mayActFor) ?? false
        }
    }

    /// May this caller act for `userID`?
    private func mayActFor(_ userID: String) -> Bool {
        switch self {
        case .silo, .admin, .anonymous: true
        case .user(let id): id == userID
        }
    }
}
