import Crypto
import Foundation

/// A ScienceData user id (`fror@dtu.dk`), validated as upstream does and split into the two
/// label values every object of the user carries (docs/specs/pods-backend.md §2.1, §3).
struct UserID: Sendable, Hashable, CustomStringConvertible {
    /// The part before the first `@`: label `user`.
    let name: String
    /// The part after it, "" when there is none: label `domain`.
    let domain: String

    var description: String { domain.isEmpty ? name : "\(name)@\(domain)" }

    enum Invalid: Error, Equatable, CustomStringConvertible {
        /// Fails upstream's pattern (lower-case alphanumerics and `-._`, one `@` at most,
        /// alphanumeric at both ends, two characters or more).
        case pattern
        /// Valid upstream, but a part cannot be a Kubernetes label value (63 characters,
        /// alphanumeric at both ends): upstream would have failed later, at creation.
        case notALabelValue(String)

        var description: String {
            switch self {
            case .pattern:
                "invalid user_id: expected lower-case letters, digits, '-', '.', '_' and at most one '@', starting and ending with a letter or digit"
            case .notALabelValue(let part):
                "invalid user_id: '\(part)' cannot be a Kubernetes label value (at most 63 characters, starting and ending with a letter or digit)"
            }
        }
    }

    init(_ text: String) throws(Invalid) {
        guard Self.matchesUpstreamPattern(text) else { throw .pattern }
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        let domain = parts.count > 1 ? String(parts[1]) : ""
        for part in [name, domain] where !part.isEmpty && !Self.isLabelValue(part) {
            throw .notALabelValue(part)
        }
        // "foo@" and "@foo" fail the pattern already; an empty name cannot occur.
        self.name = name
        self.domain = domain
    }

    /// The owner recorded on an object by its `user` and `domain` labels (legacy objects
    /// included); nil when the labels name no valid user.
    init?(labels: [String: String]) {
        guard let name = labels["user"], !name.isEmpty else { return nil }
        let domain = labels["domain"] ?? ""
        guard let id = try? UserID(domain.isEmpty ? name : "\(name)@\(domain)"), id.name == name, id.domain == domain else { return nil }
        self = id
    }

    /// `^[a-z0-9][-a-z0-9._]*[@]?[-a-z0-9._]*[a-z0-9]$`, without a regex engine.
    static func matchesUpstreamPattern(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2 else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        func allowed(_ byte: UInt8) -> Bool {
            alphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
        }
        guard alphanumeric(bytes.first!), alphanumeric(bytes.last!) else { return false }
        var ats = 0
        for byte in bytes.dropFirst().dropLast() {
            if byte == UInt8(ascii: "@") { ats += 1 } else if !allowed(byte) { return false }
        }
        return ats <= 1
    }

    static func isLabelValue(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool {
            (0x61...0x7A).contains(byte) || (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte)
        }
        return alphanumeric(bytes.first!) && alphanumeric(bytes.last!)
    }

    /// Selects the user's objects by their labels (`user=fror,domain=dtu.dk`); a user without
    /// a domain selects `domain=` (objects with an empty domain label), as upstream.
    var labelSelector: String { "user=\(name),domain=\(domain)" }

    var labels: [String: String] { ["user": name, "domain": domain] }

    /// Upstream's name fragment: every `@` and `.` replaced by `-`. Not injective
    /// (`a.b@x` and `a-b@x` collide); kept only to recognise objects upstream created.
    var legacyUserString: String {
        String(description.map { $0 == "@" || $0 == "." ? "-" : $0 })
    }

    /// Our name fragment: DNS-safe (lower-case alphanumerics and `-`), at most `maxLength`
    /// characters, ending in a hash of the whole id so that distinct users get distinct
    /// names however their ids fold.
    func safeUserString(maxLength: Int = 40) -> String {
        let hash = Self.hash(description, length: 10)
        var folded = String(description.map { $0.isLetter || $0.isNumber ? $0 : "-" })
        while folded.contains("--") { folded = folded.replacingOccurrences(of: "--", with: "-") }
        folded = String(folded.prefix(max(1, maxLength - hash.count - 1)))
        while folded.hasSuffix("-") { folded.removeLast() }
        return folded.isEmpty ? hash : "\(folded)-\(hash)"
    }

    /// Lower-case hex of SHA-256, truncated.
    static func hash(_ text: String, length: Int) -> String {
        String(SHA256.hash(data: Data(text.utf8)).hexString.prefix(length))
    }
}
