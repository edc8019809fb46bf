import BrokerWire
import Foundation

/// The broker's ZAP handler (ZeroMQ RFC 27): libzmq asks it, over `inproc://zeromq.zap.01`,
/// whether each CURVE handshake on the server socket may complete. A connection is admitted
/// only with a public key the deploy API registered for some user; its `User-Id` (which
/// libzmq attaches to every message of the connection) is then that key, and the routing
/// loop routes by the user the key belongs to, never by the routing identity the peer states.
struct ZAPHandler {
    static let endpoint = "inproc://zeromq.zap.01"
    /// The ZAP domain of the server socket; other sockets set none and are never asked about.
    static let serverDomain = "rexec-servers"

    struct Request: Equatable {
        var version: [UInt8]
        var requestID: [UInt8]
        var domain: String
        /// The peer's IP address, as libzmq gives it.
        var address: String
        var mechanism: String
        var credentials: [[UInt8]]

        /// `[version, request id, domain, address, identity, mechanism, credentials…]`.
        static func parse(_ frames: [[UInt8]]) -> Request? {
            guard frames.count >= 6 else { return nil }
            return Request(
                version: frames[0], requestID: frames[1], domain: String(decoding: frames[2], as: UTF8.self),
                address: String(decoding: frames[3], as: UTF8.self), mechanism: String(decoding: frames[5], as: UTF8.self),
                credentials: Array(frames.dropFirst(6)))
        }
    }

    enum Decision: Equatable {
        /// 200: `userID` becomes the connection's `User-Id`.
        case admit(userID: String)
        /// 300: try again (the key table has not been read yet after a start).
        case later(String)
        /// 400: refused.
        case refuse(ServerRefusal, String)

        var reply: (status: String, text: String, userID: String) {
            switch self {
            case .admit(let userID): ("200", "OK", userID)
            case .later(let text): ("300", text, "")
            case .refuse(_, let text): ("400", text, "")
            }
        }
    }

    let keys: any ServerKeys

    func decide(_ request: Request) -> Decision {
        guard request.domain == Self.serverDomain else {
            // Not the server socket (no other socket asks today): NULL stays open as before.
            return request.mechanism == "NULL" ? .admit(userID: "") : .refuse(.noCurve, "mechanism not accepted here")
        }
        guard request.mechanism == "CURVE", let key = request.credentials.first, key.count == 32 else {
            return .refuse(.noCurve, "CURVE required")
        }
        let publicKey = Z85.encode(key)
        guard keys.isSynced else { return .later("server keys not read yet") }
        // Registered or withdrawn a moment ago: a source that can be polled looks again.
        keys.refresh(immediately: true)
        if keys.owner(of: publicKey) != nil { return .admit(userID: publicKey) }
        return .refuse(.unknownKey, "server key not registered")
    }

    /// The reply frames for `request` (REP adds the envelope).
    static func replyFrames(to request: Request, _ decision: Decision) -> [[UInt8]] {
        let reply = decision.reply
        return [Array("1.0".utf8), request.requestID, Array(reply.status.utf8), Array(reply.text.utf8), Array(reply.userID.utf8), []]
    }
}

/// Why a server connection or message was refused; the `reason` label of
/// `rexec_broker_server_refusals_total` and the keys of STATISTICS' `server_refusals`.
enum ServerRefusal: String, CaseIterable, Codable, Sendable {
    /// A handshake without CURVE (upstream's server, or anything else speaking plain ZMTP).
    case noCurve = "no_curve"
    /// A CURVE key nobody registered: an impostor's own key, or a terminated server's.
    case unknownKey = "unknown_key"
    /// A message of a connection whose key has since been withdrawn (respawn, termination).
    case withdrawnKey = "withdrawn_key"
    /// An unauthenticated connection (when allowed) stating the identity of a user whose
    /// server authenticates.
    case unauthenticatedClaim = "unauthenticated_claim"
}
