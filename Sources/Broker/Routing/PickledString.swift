/// The broker's error replies: a Python `str` as a pickle, which the client reads with
/// `dill.loads` and prints (docs/specs/rexec.md §2.5). Protocol 2 is the smallest encoding every
/// pickle reader accepts: PROTO 2, BINUNICODE (4-byte little-endian length + UTF-8), STOP.
enum PickledString {
    static let header: [UInt8] = [0x80, 0x02]
    static let stop = UInt8(ascii: ".")

    static func encode(_ text: String) -> [UInt8] {
        header + unicode(text) + [stop]
    }

    /// BINUNICODE: the opcode, a 4-byte little-endian length and the UTF-8 bytes.
    static func unicode(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        let length = UInt32(utf8.count)
        return [UInt8(ascii: "X"), UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), UInt8(length >> 24)] + utf8
    }
}

/// A stream ERROR event as a rexec server sends it (docs/specs/rexec.md §3.4), a `dict` of
/// strings as a protocol-2 pickle: EMPTY_DICT, MARK, key/value pairs, SETITEMS, STOP. The client
/// raises `RuntimeError(message)` on it, so a call the broker has to give up on fails loudly
/// rather than printing a line and returning None as upstream's plain-text replies do.
enum PickledStreamError {
    static func encode(message: String, details: String) -> [UInt8] {
        let fields = [("type", "ERROR"), ("message", message), ("details", details)]
        return PickledString.header + [UInt8(ascii: "}"), UInt8(ascii: "(")]
            + fields.flatMap { PickledString.unicode($0.0) + PickledString.unicode($0.1) }
            + [UInt8(ascii: "u"), PickledString.stop]
    }
}

/// The exact texts upstream clients show users.
enum BrokerReply {
    static let invalidFraming = "Invalid request framing."
    static let tokenNotUTF8 = "Token is not valid utf-8."
    static let tokenValidationFailed = "Token validation failed."
    /// The deploy API's wording for the same refusal (ours; upstream's broker had no gate).
    static let accessForbidden = "Access forbidden: user is not a member of an allowed group."
    static func serverNotReady(sub: String) -> String { "Server not ready/available for user \(sub)." }
    /// Ours, raised by the client for a call that was routed and then lost with its server.
    static func serverLost(sub: String, cause: ServerLoss) -> String {
        switch cause {
        case .connectionLost: "The rexec server for user \(sub) stopped (its connection was lost) before this call finished."
        case .saidGoodbye: "The rexec server for user \(sub) shut down before this call finished."
        }
    }
}

/// Why the broker gave up on the calls it had routed to a server.
enum ServerLoss: String, Sendable {
    case connectionLost = "connection_lost"
    case saidGoodbye = "said_goodbye"
}
