import AccessPolicy
import Identity
import ServiceKit

/// The access of a route in a service the access policy governs: the policy binding it
/// performs (entity, operation, where the object's mode comes from), and where its caller's
/// token may be. Routes declare it once (``ServiceKit/Route``); the service's access turns it
/// into middleware; docs and tests read it back.
public struct PolicyAccess: RouteAccessRule {
    /// nil: the platform's own routes, open to anyone.
    public let binding: PolicyBinding?
    /// Where the token may be, in order (upstream's clients differ).
    public let tokens: [TokenSource]
    /// Refusals as an empty plain-text answer (upstream's `get_podip_owner`).
    public let plainTextRefusal: Bool

    public static let open = PolicyAccess(binding: nil, tokens: [], plainTextRefusal: false)

    public static func policy(_ binding: PolicyBinding, tokens: [TokenSource] = [.bearerHeader], plainTextRefusal: Bool = false) -> PolicyAccess {
        PolicyAccess(binding: binding, tokens: tokens, plainTextRefusal: plainTextRefusal)
    }

    public static func policy(
        _ entity: PolicyEntity, _ operation: PolicyOperation, _ object: PolicyBinding.ObjectSource, tokens: [TokenSource] = [.bearerHeader]
    ) -> PolicyAccess {
        policy(PolicyBinding(entity, operation, object), tokens: tokens)
    }

    public var isPolicyBound: Bool { binding != nil }

    /// Whether the built-in policy asks for a credential (an operator's policy may differ;
    /// the OpenAPI document describes the default).
    public var mayNeedCredential: Bool {
        guard let binding else { return false }
        return Self.builtIn.rule(binding.entity, binding.object.mode, binding.operation)?.allowsAnyone != true
    }

    private static let builtIn = LoadedPolicy.builtIn().policy

    /// `rexec delete (private, own)`, and where the token may be when not only the bearer header.
    public var description: String {
        guard let binding else { return "open" }
        guard tokens != [.bearerHeader] else { return binding.description }
        return binding.description + "; token: " + tokens.map(\.description).joined(separator: ", ")
    }
}

extension TokenSource: CustomStringConvertible {
    public var description: String {
        switch self {
        case .bearerHeader: "bearer"
        case .tokenHeader: "Authorization: token"
        case .plainAuthorizationHeader: "Authorization"
        case .header(let name): "header \(name)"
        case .formField(let name): "form \(name)"
        case .queryParameter(let name): "query \(name)"
        }
    }
}
