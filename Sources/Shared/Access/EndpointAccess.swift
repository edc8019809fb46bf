import AccessPolicy
import Hummingbird
import HummingbirdAuth
import Identity
import Logging
import ServiceKit

/// Who may do what on an endpoint whose callers bring IdP tokens: the token check, then the
/// access policy, with the gate and the tiers answering its `Endpoint` roles; refusals worded
/// in the service's ``AuthDialect``. Services enforce each route's ``PolicyAccess`` with ``middleware(for:)``;
/// handlers then read the verified user from the context.
public struct EndpointAccess: Sendable {
    public let authenticator: RequestAuthenticator
    public let gate: GroupGate
    public let tiers: RoleTiers
    public let policy: PolicyEnforcer

    public init(authenticator: RequestAuthenticator, settings: AccessSettings, policy: PolicyStore) {
        self.authenticator = authenticator
        self.gate = GroupGate(settings: settings)
        self.tiers = RoleTiers(settings: settings)
        self.policy = PolicyEnforcer(store: policy)
    }

    public var dialect: AuthDialect { authenticator.dialect }

    public func subject(_ user: UserIdentity) -> EndpointSubject {
        EndpointSubject(user: user, gate: gate, tiers: tiers)
    }

    /// The middleware enforcing a route's access: its token, then the policy on its binding.
    public func middleware<Context: ServiceRequestContext & AuthRequestContext>(
        for access: PolicyAccess
    ) -> [any MiddlewareProtocol<Request, Response, Context>] where Context.Identity == UserIdentity {
        guard let binding = access.binding else { return [] }
        return [EndpointAccessMiddleware<Context>(self, binding: binding, sources: access.tokens)]
    }

    /// For routes whose object the handler finds (``PolicyBinding/ObjectSource/inHandler(_:)``):
    /// throws the dialect's refusal unless `user` (nil: no token) may act on `object`.
    public func authorize(
        _ user: UserIdentity?, _ entity: PolicyEntity, _ operation: PolicyOperation, _ object: PolicyObject, logger: Logger
    ) throws {
        let subject = user.map(subject)
        let decision = policy.decide(subject, entity, operation, object, logger: logger)
        guard !decision.allowed else { return }
        throw refusal(decision, subject: subject)
    }

    /// Whether `user` may act on `object`, without an audit line or a count: for filtering
    /// what a listing shows (a search must not log every private dataset it leaves out).
    public func permits(_ user: UserIdentity?, _ entity: PolicyEntity, _ operation: PolicyOperation, _ object: PolicyObject) -> Bool {
        policy.store.current.policy.decide(user.map(subject), entity, operation, object).allowed
    }

    /// No credential where the rule needs one → 401; otherwise 403, worded as upstream words
    /// its tiers and gate where the rule is one of them.
    func refusal(_ decision: PolicyDecision, subject: EndpointSubject?) -> APIError {
        guard let subject else {
            return decision.rule?.roles.isEmpty == false ? dialect.missingToken : APIError(.forbidden, detail: decision.denialMessage)
        }
        return dialect.denied(decision, gate: gate.evaluate(subject.user))
    }
}
