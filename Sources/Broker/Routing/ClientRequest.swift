/// A message from a client, taken apart as upstream's broker does (docs/specs/rexec.md §2.3-2.4):
/// `[client ids…, "", token, fn, args(, extra…)]` or `[ids…, "", token, "__REXEC_CANCEL__"(, reason)]`.
struct ClientRequest: Equatable {
    static let cancelMarker = Array("__REXEC_CANCEL__".utf8)
    static let defaultCancelReason = Array("keyboard_interrupt".utf8)

    enum Kind: Equatable {
        /// Frames after the token: `[fn, args, …]`.
        case invoke(body: [[UInt8]])
        case cancel(reason: [UInt8])
    }

    /// The routing envelope (the client's ids), sent back unchanged with every reply.
    let envelope: [[UInt8]]
    let token: String
    let kind: Kind

    enum Failure: Error, Equatable {
        /// No empty delimiter, or too few frames; the reply goes to `envelope`.
        case invalidFraming(envelope: [[UInt8]])
        case tokenNotUTF8(envelope: [[UInt8]])

        var envelope: [[UInt8]] {
            switch self {
            case .invalidFraming(let envelope), .tokenNotUTF8(let envelope): envelope
            }
        }

        var reason: BrokerError {
            switch self {
            case .invalidFraming: .invalidFraming
            case .tokenNotUTF8: .tokenNotUTF8
            }
        }

        var replyText: String {
            switch self {
            case .invalidFraming: BrokerReply.invalidFraming
            case .tokenNotUTF8: BrokerReply.tokenNotUTF8
            }
        }
    }

    /// Parses `frames` as received by the client-facing ROUTER.
    static func parse(_ frames: [[UInt8]]) -> Result<ClientRequest, Failure> {
        guard let delimiter = frames.firstIndex(where: \.isEmpty) else {
            // Upstream answers the first frame (the ROUTER's id for this client).
            return .failure(.invalidFraming(envelope: Array(frames.prefix(1))))
        }
        let envelope = Array(frames[..<delimiter])
        let body = Array(frames[(delimiter + 1)...])
        guard body.count >= 2 else { return .failure(.invalidFraming(envelope: envelope)) }
        guard let token = String(validating: body[0], as: UTF8.self) else { return .failure(.tokenNotUTF8(envelope: envelope)) }
        if body[1] == cancelMarker {
            return .success(ClientRequest(envelope: envelope, token: token, kind: .cancel(reason: body.count > 2 ? body[2] : defaultCancelReason)))
        }
        guard body.count >= 3 else { return .failure(.invalidFraming(envelope: envelope)) }
        return .success(ClientRequest(envelope: envelope, token: token, kind: .invoke(body: Array(body.dropFirst()))))
    }

    /// What the server-facing ROUTER sends: the server identity first (libzmq strips it),
    /// then the client envelope, the delimiter and the body without the token.
    func forwardFrames(to serverID: [UInt8]) -> [[UInt8]] {
        switch kind {
        case .invoke(let body): [serverID] + envelope + [[]] + body
        case .cancel(let reason): [serverID] + envelope + [[], Self.cancelMarker, reason]
        }
    }
}
