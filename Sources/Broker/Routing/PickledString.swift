/// The broker's error replies: a Python `str` as a pickle, which the client reads with
/// `dill.loads` and prints (docs/specs/rexec.md §2.5). Protocol 2 is the smallest encoding every
/// pickle reader accepts: PROTO 2, BINUNICODE (4-byte little-endian length + UTF-8), STOP.
enum PickledString {
    static func encode(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        let length = UInt32(utf8.count)
        return [0x80, 0x02, UInt8(ascii: "X")]
            + [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), UInt8(length >> 24)]
            + utf8 + [UInt8(ascii: ".")]
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
}
