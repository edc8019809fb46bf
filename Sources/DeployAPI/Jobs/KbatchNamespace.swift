import Crypto
import Essentials

/// A kbatch user's own namespace, named as upstream names it (docs/specs/anchors-platforms.md
/// §A.4), so that a cluster moving from kbatch-proxy keeps its namespaces: the username
/// lower-cased, each run of characters outside `[a-z0-9]` made one `-`, cut to 40 characters,
/// `-` trimmed; if that changed the name, `--` and 7 hex of the SHA-256 of the username are
/// added (two usernames that escape alike still differ); then `kbatch-` in front.
enum KbatchNamespace {
    static let prefix = "kbatch-"

    static func name(for username: String) -> String {
        var escaped = ""
        var lastWasDash = false
        for character in username.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber {
                escaped.append(character)
                lastWasDash = false
            } else if !lastWasDash {
                escaped.append("-")
                lastWasDash = true
            }
        }
        var safe = Substring(escaped.prefix(40))
        while safe.first == "-" { safe.removeFirst() }
        while safe.last == "-" { safe.removeLast() }
        var name = String(safe)
        if name != username {
            name += "--" + String(SHA256.hash(data: Array(username.utf8)).hexString.prefix(7))
        }
        return prefix + name
    }
}
