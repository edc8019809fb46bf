/// Why a message was not routed; the keys of `errors` in STATISTICS and the `kind` label.
enum BrokerError: String, CaseIterable, Codable, Sendable {
    case invalidFraming = "invalid_framing"
    case tokenNotUTF8 = "token_not_utf8"
    case tokenValidationFailed = "token_validation_failed"
    /// A valid token of a user outside the endpoint's groups.
    case accessForbidden = "access_forbidden"
    case serverUnavailable = "server_unavailable"
    case authBacklogFull = "auth_backlog_full"
    /// A server addressed a client that never sent it anything (or has gone): dropped.
    case foreignClient = "foreign_client"
    case invalidServerMessage = "invalid_server_message"
    /// The client stopped reading and its queue is full, or it disconnected.
    case clientUnreachable = "client_unreachable"
    /// A call was still routed to a server that said goodbye or became unreachable: its
    /// client was told "Server not ready" instead of waiting for an answer that cannot come.
    case callAbandoned = "call_abandoned"
}
