import Crypto
import Essentials
import Foundation

/// The DNS-label form of a user's `sub`, used in namespace names, labels and directory names.
///
/// A `sub` that is already a lower-case DNS label without `--` (every Keycloak UUID) is kept
/// as is, so namespaces upstream created (`rexec-server-<sub>`) are found. Anything else is
/// folded to allowed characters and suffixed with `--` and 16 hex digits of its SHA-256;
/// only that path produces `--`, so two different subs never share a key.
struct UserKey: Sendable, Hashable, CustomStringConvertible {
    let sub: String
    let value: String

    /// `maxLength` leaves room for the namespace prefix (a label is at most 63 characters).
    init(sub: String, maxLength: Int) {
        self.sub = sub
        if sub.count <= maxLength, Self.isPlainLabel(sub) {
            value = sub
            return
        }
        let hash = SHA256.hash(data: Array(sub.utf8)).prefix(8).hexString
        var folded = String(
            sub.lowercased().unicodeScalars.map { scalar -> Character in
                let character = Character(scalar)
                return (character.isASCII && (character.isLetter || character.isNumber)) ? character : "-"
            })
        while folded.contains("--") { folded = folded.replacingOccurrences(of: "--", with: "-") }
        folded = String(folded.trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(max(0, maxLength - 18)))
        folded = folded.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        value = folded.isEmpty ? "u--\(hash)" : "\(folded)--\(hash)"
    }

    var description: String { value }

    /// RFC 1123 label: lower-case letters, digits and single hyphens, starting and ending
    /// with a letter or digit.
    static func isPlainLabel(_ text: String) -> Bool {
        DNSName.isLabel(text) && !text.contains("--")
    }
}
