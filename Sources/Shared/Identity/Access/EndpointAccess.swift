import Hummingbird
import HummingbirdAuth
import ServiceKit

/// Who may do what on an endpoint: the token check and the gate and tiers over it, worded
/// in the service's ``AuthDialect``. Services mount their routes in groups made here, one
/// access level a group; handlers then read the verified user from the context.
public struct EndpointAccess: Sendable {
    public let authenticator: RequestAuthenticator
    public let gate: GroupGate
    public let tiers: RoleTiers

    public init(authenticator: RequestAuthenticator, settings: AccessSettings) {
        self.authenticator = authenticator
        self.gate = GroupGate(settings: settings)
        self.tiers = RoleTiers(settings: settings)
    }

    public var dialect: AuthDialect { authenticator.dialect }

    /// The levels this type enforces.
    public static let levels: Set<AccessLevel> = [.open, .token, .member, .writer, .admin]

    /// Throws the dialect's 403 unless `user` holds `level`.
    public func check(_ user: UserIdentity, level: AccessLevel) throws {
        switch level {
        case .open, .token:
            return
        case .member, .writer:
            if case .denied(let denial) = gate.evaluate(user) { throw dialect.gateDenied(denial, level: level) }
            if level == .writer, tiers.tier(for: user) < .writer { throw dialect.tierTooLow(required: .writer) }
        case .admin:
            guard tiers.tier(for: user) == .admin else { throw dialect.tierTooLow(required: .admin) }
        default:
            throw APIError(.internalServerError, detail: "No rule for the access level \(level).")
        }
    }

    /// The middleware a group of routes with `level` runs before its handlers: none for
    /// ``AccessLevel/open``; otherwise ``EndpointAccessMiddleware``.
    public func middleware<Context: ServiceRequestContext & AuthRequestContext>(
        for level: AccessLevel, tokens: [TokenSource] = [.bearerHeader], context: Context.Type = Context.self
    ) -> [any MiddlewareProtocol<Request, Response, Context>] where Context.Identity == UserIdentity {
        guard level != .open else { return [] }
        precondition(Self.levels.contains(level), "EndpointAccess does not enforce the access level \(level)")
        return [EndpointAccessMiddleware<Context>(self, level: level, sources: tokens)]
    }
}

extension ServiceRoutes where Context: AuthRequestContext, Context.Identity == UserIdentity {
    /// A group of routes with `level`, enforced by `access`; the token is read from `tokens`.
    public func group(_ level: AccessLevel, access: EndpointAccess, tokens: [TokenSource] = [.bearerHeader]) -> AccessGroup<Context> {
        group(level, middleware: access.middleware(for: level, tokens: tokens))
    }
}
