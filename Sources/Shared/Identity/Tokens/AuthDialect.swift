import Hummingbird
import ServiceKit

/// How a service words auth failures. Statuses are the same everywhere (the token's fault
/// → 401, the IdP's → 502, the caller's rights → 403); texts follow the upstream service
/// each one replaces, because clients print and match them.
public enum AuthDialect: Sendable {
    /// The EP API (HEAD 0.34.x).
    case epGateway
    /// The rexec deploy API; upstream answered 401 for an unreachable IdP, we say 502.
    case deployAPI

    public static let writerRequired =
        "You do not have permission to modify resources on this Endpoint. Ask an administrator to grant you the writer or admin role."
    public static let adminRequired = "Administrator role required."

    public func error(for failure: IdentityProviderError) -> APIError {
        switch (self, failure) {
        case (.epGateway, .tokenRejected(let reason)): return APIError(.unauthorized, detail: "Invalid token: \(reason)")
        case (.deployAPI, .tokenRejected(let reason)): return APIError(.unauthorized, detail: "Token validation failed: \(reason)")
        case (_, .unauthorized): return APIError(.unauthorized, detail: "Invalid or expired token")
        case (_, .forbidden): return APIError(.unauthorized, detail: "Token does not have sufficient permissions")
        case (.epGateway, .internalError): return APIError(.badGateway, detail: "Authentication service is experiencing internal issues.")
        case (.deployAPI, .internalError): return APIError(.badGateway, detail: "Authentication service error")
        case (_, .unexpectedStatus(let code)):
            return APIError(.badGateway, detail: "Authentication service returned unexpected response (HTTP \(code)).")
        case (.epGateway, .unreachable), (.epGateway, .timedOut):
            return APIError(.badGateway, detail: "Authentication service is unavailable.")
        case (.deployAPI, .unreachable), (.deployAPI, .timedOut):
            return APIError(.badGateway, detail: "Auth service unavailable: \(failure == .timedOut ? "timed out" : "connection failed")")
        case (_, .malformedResponse): return APIError(.badGateway, detail: "Authentication service returned an unexpected error.")
        }
    }

    /// No token at all. FastAPI's bearer scheme says "Not authenticated".
    public var missingToken: APIError {
        APIError(.unauthorized, detail: "Not authenticated", headers: [.wwwAuthenticate: "Bearer"])
    }

    /// The group gate said no. The EP words it by what was asked (reading the endpoint, or
    /// changing something on it); the deploy API by why.
    public func gateDenied(_ denial: GroupGate.Denial, reading: Bool) -> APIError {
        switch (self, denial) {
        case (.epGateway, _) where reading:
            APIError(.forbidden, detail: "You do not have permission to access this Endpoint. Please contact the administrator.")
        case (.epGateway, _):
            APIError(.forbidden, detail: "You do not have permission to perform this operation. Please contact the administrator.")
        case (.deployAPI, .noGroupsConfigured):
            APIError(.forbidden, detail: "Group-based access is enabled but no groups are configured.")
        case (.deployAPI, .notAMember):
            APIError(.forbidden, detail: "Access forbidden: user is not a member of an allowed group.")
        }
    }
}
