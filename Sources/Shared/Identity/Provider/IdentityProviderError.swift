/// Why a token did not yield a user. Cases say whose fault it was: the first three are the
/// caller's (the token), the rest are the IdP's.
public enum IdentityProviderError: Error, Sendable, Equatable {
    /// 200 with an `error` key in the body.
    case tokenRejected(reason: String)
    /// The IdP answered 401.
    case unauthorized
    /// The IdP answered 403.
    case forbidden
    /// The IdP answered 500.
    case internalError
    /// Any other non-200 status.
    case unexpectedStatus(Int)
    /// Connection refused, DNS failure, TLS failure…
    case unreachable(reason: String)
    /// No answer within the configured timeout.
    case timedOut
    /// 200 whose body is not a JSON object.
    case malformedResponse

    /// Rejections are facts about the token and may be cached; the rest are transient.
    public var isTokenRejection: Bool {
        switch self {
        case .tokenRejected, .unauthorized, .forbidden: true
        default: false
        }
    }

    /// Short label for metrics and logs.
    public var kind: String {
        switch self {
        case .tokenRejected: "token_rejected"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .internalError: "idp_internal_error"
        case .unexpectedStatus: "idp_unexpected_status"
        case .unreachable: "idp_unreachable"
        case .timedOut: "idp_timeout"
        case .malformedResponse: "idp_malformed_response"
        }
    }
}
