import Foundation
import Hummingbird

/// Pulls a bearer token from `Authorization`. The scheme word is case-insensitive, as the
/// upstream HTTP bearer scheme treats it; "Bearer" with nothing after it is no token.
public enum BearerToken {
    public static func from(_ headers: HTTPFields) -> String? {
        guard let value = headers[.authorization] else { return nil }
        // Byte-level on purpose: this runs on every authenticated request, and Foundation's
        // trimming and case folding showed up in profiles.
        var view = Substring(value)
        while view.first == " " || view.first == "\t" { view.removeFirst() }
        guard view.utf8.count > 7 else { return nil }
        let scheme = view.utf8.prefix(6)
        guard scheme.elementsEqual("bearer".utf8, by: { ($0 | 0x20) == $1 }), view.utf8.dropFirst(6).first == UInt8(ascii: " ") else { return nil }
        var token = view.dropFirst(7)
        while token.first == " " || token.first == "\t" { token.removeFirst() }
        while token.last == " " || token.last == "\t" { token.removeLast() }
        return token.isEmpty ? nil : String(token)
    }
}
