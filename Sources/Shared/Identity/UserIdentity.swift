import Crypto
import Essentials
import Foundation

/// The user an IdP `/information` answer describes.
///
/// Every field of the answer is kept in `attributes`, so `/user/info` can pass it through.
public struct UserIdentity: Sendable, Equatable {
    /// `str(sub).strip()` as upstream computes it; nil when the IdP gave none.
    public let subject: String?
    public let username: String?
    public let email: String?
    /// Group paths (or names) in the IdP's order, as given (not normalised).
    public let groups: [String]
    public let roles: [String]
    /// The whole IdP object.
    public let attributes: [String: JSONValue]

    /// The user id used for namespaces, routing and hashes. Upstream substitutes "unknown".
    public var sub: String { subject ?? "unknown" }

    /// The user's login name: `username`, else Keycloak's `preferred_username`.
    public var preferredName: String? {
        username ?? attributes["preferred_username"]?.stringValue
    }

    /// First 16 hex characters of SHA-256(sub): the id upstream stores on catalog objects
    /// (their creator), and the caller's name in audit lines.
    public var ndpUserID: String {
        SHA256.hash(data: Array(sub.utf8)).prefix(8).hexString
    }

    public init(
        subject: String?, username: String? = nil, email: String? = nil, groups: [String] = [], roles: [String] = [],
        attributes: [String: JSONValue] = [:]
    ) {
        self.subject = subject
        self.username = username
        self.email = email
        self.groups = groups
        self.roles = roles
        self.attributes = attributes
    }

    /// Reads an IdP object. Groups may be strings or `{path, name}` objects (path preferred);
    /// a `groups` or `roles` value that is not a list counts as empty, as upstream.
    public init(idpObject object: [String: JSONValue]) {
        let subject = object["sub"]?.scalarDescription?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.subject = (subject?.isEmpty ?? true) ? nil : subject
        self.username = object["username"]?.scalarDescription
        self.email = object["email"]?.stringValue
        self.groups = (object["groups"]?.arrayValue ?? []).compactMap { entry in
            if let name = entry.stringValue { return name }
            return entry["path"]?.stringValue ?? entry["name"]?.stringValue
        }
        self.roles = (object["roles"]?.arrayValue ?? []).compactMap(\.stringValue)
        self.attributes = object
    }
}
