import Essentials
import Foundation
import Identity
import Yams

/// The dev IdP's users, loaded from YAML:
///
/// ```yaml
/// users:
///   - username: demo
///     password: demo-password
///     sub: 7c1f…            # defaults to a UUID derived from the username
///     email: demo@example.org
///     groups: [/ndp_ep/ep-demo]
///     roles: [ndp_writer]
///     tokens: [demo-token]
///     attributes: {organization: Example}   # any extra fields, returned as-is
/// ```
public struct UserDirectory: Sendable {
    struct User: Sendable {
        var username: String
        var password: String?
        var object: [String: JSONValue]
        var tokens: [String]
    }

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var users: [User] = []
    private var byToken: [String: Int] = [:]

    init(users: [User]) throws {
        for user in users {
            let index = self.users.count
            self.users.append(user)
            for token in user.tokens {
                guard byToken[token] == nil else { throw LoadError(description: "token of user '\(user.username)' is used twice") }
                byToken[token] = index
            }
        }
    }

    public static func load(path: String) throws -> UserDirectory {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try parse(yaml: text)
    }

    public static func parse(yaml text: String) throws -> UserDirectory {
        guard let root = try Yams.load(yaml: text) as? [String: Any], let entries = root["users"] as? [[String: Any]] else {
            throw LoadError(description: "expected a top-level 'users' list")
        }
        return try UserDirectory(users: entries.map(user(from:)))
    }

    private static func user(from entry: [String: Any]) throws -> User {
        guard let username = entry["username"] as? String, !username.isEmpty else {
            throw LoadError(description: "every user needs a username")
        }
        var object: [String: JSONValue] = [:]
        for (key, value) in (entry["attributes"] as? [String: Any]) ?? [:] { object[key] = json(value) }
        object["sub"] = .string((entry["sub"] as? String) ?? derivedSubject(username))
        object["username"] = .string(username)
        if let email = entry["email"] as? String { object["email"] = .string(email) }
        object["groups"] = json(entry["groups"] ?? [Any]())
        object["roles"] = json(entry["roles"] ?? [Any]())
        let tokens = (entry["tokens"] as? [Any] ?? []).map { "\($0)" }
        return User(username: username, password: entry["password"] as? String, object: object, tokens: tokens)
    }

    /// A stable UUID-shaped subject, like Keycloak's, from the username.
    static func derivedSubject(_ username: String) -> String {
        let hex = Array(
            TokenDigest("sub:" + username).fingerprint + TokenDigest("sub2:" + username).fingerprint + TokenDigest("sub3:" + username).fingerprint)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }
        return parts.joined(separator: "-")
    }

    static func json(_ value: Any) -> JSONValue {
        switch value {
        case let value as String: .string(value)
        case let value as Bool: .bool(value)
        case let value as Int: .number(Double(value))
        case let value as Double: .number(value)
        case let value as [Any]: .array(value.map(json))
        case let value as [String: Any]: .object(value.mapValues(json))
        default: .string("\(value)")
        }
    }

    /// Adds `value` to the user's `groups` or `roles` list (once); false when there is no
    /// such user. What the AAI's `/group/add-user` and `/role/assign` change.
    mutating func add(_ value: String, to list: String, ofUser username: String) -> Bool {
        guard let index = users.firstIndex(where: { $0.username == username }) else { return false }
        var values = users[index].object[list]?.arrayValue ?? []
        if !values.contains(.string(value)) { values.append(.string(value)) }
        users[index].object[list] = .array(values)
        return true
    }

    func user(forToken token: String) -> User? {
        byToken[token].map { users[$0] }
    }

    func user(username: String, password: String) -> User? {
        users.first { $0.username == username && $0.password != nil && $0.password == password }
    }
}
