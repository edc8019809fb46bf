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
    /// The broker's CURVE secret key file; nil: a key for this process only.
    var curveKeyFile: String?
    /// Where the deploy API's local runtime registers server keys.
    var serverKeysDirectory: String?
    /// Read server keys from the users' server namespaces (the Kubernetes runtime).
    var serverKeysFromKubernetes = false
    /// Where servers without a credential connect, when the operator allows them.
    var unauthenticatedServerEndpoint: String?

    // MARK: Declarations

    static let clientPort = Setting<Int>.port("CLIENT_PORT", default: 5559, help: "Client ROUTER port (scidx-rexec clients); 0 picks a free one.")
        .flag("client-port", "client_port")
    static let serverPort = Setting<Int>.port("SERVER_PORT", default: 5560, help: "Server ROUTER port (the users' rexec servers).")
        .flag("server-port", "server_port")
    static let controlPort = Setting<Int>.port("CONTROL_PORT", default: 5561, help: "Control REP port (PING, STATISTICS, TERMINATE).")
        .flag("control-port", "control_port")
    static let clientBind = bindAddress("REXEC_BROKER_CLIENT_BIND_ADDRESS", default: "0.0.0.0", socket: "client").flag("client-bind")
    static let serverBind = bindAddress("REXEC_BROKER_SERVER_BIND_ADDRESS", default: "0.0.0.0", socket: "server").flag("server-bind")
    static let controlBind = bindAddress("REXEC_BROKER_CONTROL_BIND_ADDRESS", default: "127.0.0.1", socket: "control").flag("control-bind")
    static let controlSecretText = Setting<String?>.optionalText(
        "REXEC_BROKER_CONTROL_SECRET", help: "Enables TERMINATE on the control socket (at least 16 bytes); without it TERMINATE is refused."
    ).secret()
    static let controlSecretFile = Setting<String?>.optionalText(
        "REXEC_BROKER_CONTROL_SECRET_FILE",
        help: "A file holding the control secret (a mounted Kubernetes Secret); wins over REXEC_BROKER_CONTROL_SECRET.",
        accepts: "file path")
    static let staleAfter = Setting<Duration>.seconds(
        "REXEC_BROKER_HEARTBEAT_STALE_SECONDS", default: 90, range: 1...604_800, help: "Silence after which a server is reported stale."
    ).flag("heartbeat-stale-seconds")
    static let outageGrace = Setting<Duration>.seconds(
        "REXEC_BROKER_AUTH_OUTAGE_GRACE_SECONDS", default: 300, range: 0...86_400,
        help: "How long tokens validated before outlive their TTL while the identity provider is down; 0: never.")
    static let maxPendingMessages = Setting<Int>.integer(
        "REXEC_BROKER_MAX_PENDING_MESSAGES", default: 10_000, range: 1...1_000_000,
        help: "Messages waiting for their token's validation, across all tokens, before new ones are refused.")
    static let clientSendHighWaterMark = Setting<Int>.integer(
        "REXEC_BROKER_CLIENT_SEND_HWM", default: 10_000, range: 0...10_000_000,
        help: "Messages queued per client before its replies are dropped (counted).")
    static let startupGrace = Setting<Duration>.seconds(
        "REXEC_BROKER_STARTUP_GRACE_SECONDS", default: 10, range: 0...600,
        help: "After a start, a call for a server not yet reconnected waits this long for it instead of 'Server not ready'.")
    static let maxClientRoutes = Setting<Int>.integer(
        "REXEC_BROKER_MAX_CLIENT_ROUTES", default: 100_000, range: 10...10_000_000,
        help: "Routes back to clients kept at most (about 150 bytes each), the least recently used going first.")

    static let curveKeyFile = Setting<String?>.optionalText(
        "REXEC_BROKER_CURVE_KEY_FILE",
        help:
            "The broker's CURVE secret key (Z85, or a ZeroMQ secret certificate); created there on first start if missing. Unset: a key for this process only, so servers cannot reconnect after a restart.",
        accepts: "file path")
    static let serverKeysDirectory = Setting<String?>.optionalText(
        "REXEC_BROKER_SERVER_KEYS_DIR",
        help:
            "Directory where the deploy API's local runtime registers each server's public key (REXEC_LOCAL_SERVER_KEYS_DIR there); must not be writable by others.",
        accepts: "directory path")
    static let serverKeysFromKubernetes = Setting<Bool>.boolean(
        "REXEC_BROKER_SERVER_KEYS_KUBERNETES", default: false,
        help: "Read server public keys from the annotations of the users' server namespaces (needs get/list/watch on namespaces).")
    static let allowUnauthenticatedServers = Setting<Bool>.boolean(
        "REXEC_BROKER_ALLOW_UNAUTHENTICATED_SERVERS", default: false,
        help:
            "Also accept servers without a credential (upstream's) on REXEC_BROKER_UNAUTHENTICATED_SERVER_PORT, trusting the identity they state, as upstream does. Unsafe: any of them can read and answer that user's calls."
    )
    static let unauthenticatedServerPort = Setting<Int>.port(
        "REXEC_BROKER_UNAUTHENTICATED_SERVER_PORT", default: 5562,
        help: "Plain (no CURVE) server port, only when unauthenticated servers are allowed.")

    static let settings = SettingGroup(
        "ZeroMQ router",
        [
            clientPort, serverPort, controlPort, clientBind, serverBind, controlBind, controlSecretText, controlSecretFile, staleAfter, outageGrace,
            maxPendingMessages, clientSendHighWaterMark, startupGrace, maxClientRoutes, curveKeyFile, serverKeysDirectory, serverKeysFromKubernetes,
            allowUnauthenticatedServers, unauthenticatedServerPort,
        ])

    static func load(from source: ConfigurationSource, auth: AuthSettings) throws -> BrokerSettings {
        BrokerSettings(
            clientEndpoint: endpoint(bind: try source.value(clientBind), port: try source.value(clientPort)),
            serverEndpoint: endpoint(bind: try source.value(serverBind), port: try source.value(serverPort)),
            controlEndpoint: endpoint(bind: try source.value(controlBind), port: try source.value(controlPort)),
            controlSecret: try controlSecret(from: source),
            staleAfter: try source.value(staleAfter),
            tokenTTL: auth.cacheTTL,
            outageGrace: try source.value(outageGrace),
            maxPendingMessages: try source.value(maxPendingMessages),
            clientSendHighWaterMark: Int32(try source.value(clientSendHighWaterMark)),
            startupGrace: try source.value(startupGrace),
            maxClientRoutes: try source.value(maxClientRoutes),
            curveKeyFile: try source.value(curveKeyFile),
            serverKeysDirectory: try source.value(serverKeysDirectory),
            serverKeysFromKubernetes: try source.value(serverKeysFromKubernetes),
            unauthenticatedServerEndpoint: try source.value(allowUnauthenticatedServers)
                ? endpoint(bind: try source.value(serverBind), port: try source.value(unauthenticatedServerPort)) : nil
        )
    }

    /// An address a socket listens on: an IP address, a host name or `*`.
    static func bindAddress(_ name: String, default value: String, socket: String) -> Setting<String> {
        .text(name, default: value, accepts: "IP address, host name or *", help: "Address the \(socket) socket listens on.") { host in
            !host.isEmpty && host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:*[]".contains($0) })
                ? nil : "an IP address, host name or * to listen on"
        }
    }

    /// `tcp://host:port`; port 0 asks libzmq for a free port (its `*`), which tests use.
    static func endpoint(bind host: String, port: Int) -> String {
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "tcp://\(bracketed):\(port == 0 ? "*" : String(port))"
    }

    /// The secret from `REXEC_BROKER_CONTROL_SECRET` or, better for Kubernetes Secrets mounted
    /// as files, `REXEC_BROKER_CONTROL_SECRET_FILE`.
    static func controlSecret(from source: ConfigurationSource) throws -> String? {
        if let path = try source.value(controlSecretFile) {
            guard let contents = FileManager.default.contents(atPath: path), let text = String(data: contents, encoding: .utf8) else {
                throw ConfigurationError(
                    variable: "REXEC_BROKER_CONTROL_SECRET_FILE", value: path, expected: "a readable UTF-8 file holding the control secret")
            }
            return try validated(
                secret: text.trimmingCharacters(in: .whitespacesAndNewlines), variable: "REXEC_BROKER_CONTROL_SECRET_FILE", shown: path)
        }
        guard let secret = try source.value(controlSecretText) else { return nil }
        return try validated(secret: secret, variable: "REXEC_BROKER_CONTROL_SECRET", shown: "<hidden>")
    }

    private static func validated(secret: String, variable: String, shown: String) throws -> String {
        guard secret.utf8.count >= 16 else {
            throw ConfigurationError(variable: variable, value: shown, expected: "a secret of at least 16 bytes")
        }
        return secret
    }
}
