/// The words of a policy file. Their raw values are what operators write, so renaming a case
/// is a breaking change of the file format (docs/policy.md).

/// A kind of object the services act on. Each route names the one it touches.
public enum PolicyEntity: String, CaseIterable, Sendable, Codable, Comparable {
    /// The endpoint's own status, health and description.
    case status
    /// A user's account: their identity, login, and everything they own as a whole.
    case user
    /// The access policy itself.
    case policy
    /// Remote execution: the broker's address, the endpoint's rexec deployment, a user's server.
    case rexec
    case organization
    case dataset
    case resource
    /// A registered service (and the proxy to it).
    case service
    /// S3 buckets and objects.
    case storage
    case accessRequest = "access_request"
    /// A batch job or cronjob.
    case job
    /// A data-staging job.
    case staging
    /// A user's pod (Jupyter, ssh box).
    case pod

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.index < rhs.index }

    /// Position in ``allCases``, for the compiled table: a switch, since `allCases` builds an
    /// array on every call and this runs for every decision.
    var index: Int {
        switch self {
        case .status: 0
        case .user: 1
        case .policy: 2
        case .rexec: 3
        case .organization: 4
        case .dataset: 5
        case .resource: 6
        case .service: 7
        case .storage: 8
        case .accessRequest: 9
        case .job: 10
        case .staging: 11
        case .pod: 12
        }
    }
}

/// How visible an object is. Objects without a mode of their own are `public`; per-user
/// objects (pods, jobs, rexec servers, staging jobs) are `private`.
public enum PolicyMode: String, CaseIterable, Sendable, Codable, Comparable {
    case `public`
    case protected
    case `private`

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.index < rhs.index }

    var index: Int {
        switch self {
        case .public: 0
        case .protected: 1
        case .private: 2
        }
    }
}

public enum PolicyOperation: String, CaseIterable, Sendable, Codable, Comparable {
    case create
    case read
    case update
    case delete

    /// Writes are audited when allowed too, not only when denied.
    public var isWrite: Bool { self != .read }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.index < rhs.index }

    var index: Int {
        switch self {
        case .create: 0
        case .read: 1
        case .update: 2
        case .delete: 3
        }
    }
}

/// One `Scope.Role` entry of a rule. A rule allows a call when any of its entries holds.
public enum PolicyRole: String, CaseIterable, Sendable, Codable {
    /// Anyone, even without a credential.
    case anyone = "Any.Any"
    /// Any valid credential.
    case authenticated = "User.Any"
    /// Passes the endpoint's group gate (`ENABLE_GROUP_BASED_ACCESS` / `GROUP_NAMES`); with
    /// the gate off, any valid token.
    case endpointMember = "Endpoint.Member"
    /// The EP role tiers (docs/specs/ndp-ep.md §3.4): admin ⊃ writer ⊃ viewer.
    case endpointViewer = "Endpoint.Viewer"
    case endpointWriter = "Endpoint.Writer"
    case endpointAdmin = "Endpoint.Admin"
    /// A frontend the endpoint trusts to act for the users it names (the pods backend's silo
    /// credential).
    case endpointSilo = "Endpoint.Silo"
    /// The caller created the object (their `ndp_user_id` is the object's).
    case objectCreator = "Object.Creator"
    /// The object belongs to the caller (their pod, job, rexec server, staging job).
    case objectOwner = "Object.Owner"

    /// `Any`, `User`, `Endpoint` or `Object`.
    public var scope: String { String(rawValue.prefix { $0 != "." }) }

    /// Needs no credential at all.
    public var needsNoCredential: Bool { self == .anyone }

    /// Held or not depending on the object, not only on the caller.
    public var isObjectRole: Bool { scope == "Object" }

    /// The scopes, in the order docs/policy.md lists them.
    public static let scopes = ["Any", "User", "Endpoint", "Object"]

    /// The roles a scope has, as written after the dot.
    public static func roles(of scope: String) -> [String] {
        allCases.filter { $0.scope == scope }.map { String($0.rawValue.dropFirst(scope.count + 1)) }
    }
}
