import Foundation
import Hummingbird

/// Pulls a bearer token from `Authorization`. The scheme word is case-insensitive, as the
/// upstream HTTP bearer scheme treats it; "Bearer" with nothing after it is no token.
public enum BearerToken {
    /// `Authorization: Bearer <token>`.
    public static func from(_ headers: HTTPFields) -> String? { from(headers, scheme: "bearer") }

    /// `Authorization: <scheme> <token>`, the scheme (lower-case ASCII here) in any case:
    /// `bearer`, or JupyterHub's `token` that kbatch sends.
    public static func from(_ headers: HTTPFields, scheme: String) -> String? {
        guard let value = headers[.authorization] else { return nil }
        // Byte-level on purpose: this runs on every authenticated request, and Foundation's
        // trimming and case folding showed up in profiles.
        var view = Substring(value)
        while view.first == " " || view.first == "\t" { view.removeFirst() }
        let length = scheme.utf8.count
        guard view.utf8.count > length + 1 else { return nil }
        guard view.utf8.prefix(length).elementsEqual(scheme.utf8, by: { ($0 | 0x20) == $1 }), view.utf8.dropFirst(length).first == UInt8(ascii: " ")
        else { return nil }
        var token = view.dropFirst(length + 1)
        while token.first == " " || token.first == "\t" { token.removeFirst() }
        while token.last == " " || token.last == "\t" { token.removeLast() }
        return token.isEmpty ? nil : String(token)
    }
}
