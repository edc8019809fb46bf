import Foundation
import Identity
import ServiceKit

/// The broker's ZeroMQ side: where its three sockets listen and how it treats servers and
/// tokens. Upstream's names (`client_port`, `server_port`, `control_port`) are accepted as
/// environment variables and flags; everything else is ours and prefixed `REXEC_BROKER_`.
struct BrokerSettings: Sendable, Equatable {
    /// Client-facing ROUTER (upstream 5559).
    var clientEndpoint: String
    /// Server-facing ROUTER (upstream 5560).
    var serverEndpoint: String
    /// Control REP socket (upstream 5561). Internal by default: upstream exposed it to anyone.
    var controlEndpoint: String
    /// Without a secret the control socket refuses TERMINATE.
    var controlSecret: String?
    /// A server silent (no heartbeat, no reply) for this long is reported as stale.
    var staleAfter: Duration
    /// A validated token is routed without asking the IdP again for this long (AUTH_CACHE_TTL_SECONDS).
    var tokenTTL: Duration
    /// When the IdP is down, a token validated before keeps working this much longer.
    var outageGrace: Duration
    /// Messages waiting for their token's validation, across all tokens; more are refused.
    var maxPendingMessages: Int
    /// Per-peer send queue of the client socket; a client that stops reading loses messages past it.
    var clientSendHighWaterMark: Int32
    /// After a start, a call for a server not yet connected waits this long for it (servers
    /// reconnect by themselves after a broker restart, clients' queued calls often come first).
    var startupGrace: Duration = .seconds(10)
    /// Routes back to clients kept at most (`REXEC_BROKER_MAX_CLIENT_ROUTES`); about 150 bytes each.
    var maxClientRoutes = 100_000

    static let defaultClientPort = 5559
    static let defaultServerPort = 5560
    static let defaultControlPort = 5561

    static func load(from source: ConfigurationSource, auth: AuthSettings) throws -> BrokerSettings {
        let clientBind = source.string("REXEC_BROKER_CLIENT_BIND_ADDRESS", default: "0.0.0.0")
        let serverBind = source.string("REXEC_BROKER_SERVER_BIND_ADDRESS", default: "0.0.0.0")
        let controlBind = source.string("REXEC_BROKER_CONTROL_BIND_ADDRESS", default: "127.0.0.1")
        return BrokerSettings(
            clientEndpoint: try endpoint(
                bind: clientBind, port: source.port("CLIENT_PORT", default: defaultClientPort), variable: "REXEC_BROKER_CLIENT_BIND_ADDRESS"),
            serverEndpoint: try endpoint(
                bind: serverBind, port: source.port("SERVER_PORT", default: defaultServerPort), variable: "REXEC_BROKER_SERVER_BIND_ADDRESS"),
            controlEndpoint: try endpoint(
                bind: controlBind, port: source.port("CONTROL_PORT", default: defaultControlPort), variable: "REXEC_BROKER_CONTROL_BIND_ADDRESS"),
            controlSecret: try controlSecret(from: source),
            staleAfter: try source.seconds("REXEC_BROKER_HEARTBEAT_STALE_SECONDS", default: 90, range: 1...86_400 * 7),
            tokenTTL: auth.cacheTTL,
            outageGrace: try source.seconds("REXEC_BROKER_AUTH_OUTAGE_GRACE_SECONDS", default: 300, range: 0...86_400),
            maxPendingMessages: try source.integer("REXEC_BROKER_MAX_PENDING_MESSAGES", default: 10_000, range: 1...1_000_000),
            clientSendHighWaterMark: Int32(try source.integer("REXEC_BROKER_CLIENT_SEND_HWM", default: 10_000, range: 0...10_000_000)),
            startupGrace: try source.seconds("REXEC_BROKER_STARTUP_GRACE_SECONDS", default: 10, range: 0...600),
            maxClientRoutes: try source.integer("REXEC_BROKER_MAX_CLIENT_ROUTES", default: 100_000, range: 10...10_000_000)
        )
    }

    /// `tcp://host:port`; port 0 asks libzmq for a free port (its `*`), which tests use.
    static func endpoint(bind: String, port: Int, variable: String) throws -> String {
        let host = bind.trimmingCharacters(in: .whitespaces)
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:*[]".contains($0) }) else {
            throw ConfigurationError(variable: variable, value: bind, expected: "an IP address, host name or * to listen on")
        }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "tcp://\(bracketed):\(port == 0 ? "*" : String(port))"
    }

    /// The secret from `REXEC_BROKER_CONTROL_SECRET` or, better for Kubernetes Secrets mounted
    /// as files, `REXEC_BROKER_CONTROL_SECRET_FILE`.
    static func controlSecret(from source: ConfigurationSource) throws -> String? {
        if let path = source.optionalString("REXEC_BROKER_CONTROL_SECRET_FILE") {
            guard let contents = FileManager.default.contents(atPath: path), let text = String(data: contents, encoding: .utf8) else {
                throw ConfigurationError(
                    variable: "REXEC_BROKER_CONTROL_SECRET_FILE", value: path, expected: "a readable UTF-8 file holding the control secret")
            }
            return try validated(
                secret: text.trimmingCharacters(in: .whitespacesAndNewlines), variable: "REXEC_BROKER_CONTROL_SECRET_FILE", shown: path)
        }
        guard let secret = source.optionalString("REXEC_BROKER_CONTROL_SECRET") else { return nil }
        return try validated(secret: secret, variable: "REXEC_BROKER_CONTROL_SECRET", shown: "<hidden>")
    }

    private static func validated(secret: String, variable: String, shown: String) throws -> String {
        guard secret.utf8.count >= 16 else {
            throw ConfigurationError(variable: variable, value: shown, expected: "a secret of at least 16 bytes")
        }
        return secret
    }
}
