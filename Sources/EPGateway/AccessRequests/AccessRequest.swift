import Essentials
import Foundation
import ServiceKit

/// A user's request to be let into this endpoint (docs/specs/ndp-ep.md §2.4), decided by an
/// admin: approval adds the user to the endpoint's group at the AAI (and, for writer and
/// admin, assigns the role there).
struct AccessRequest: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable, CaseIterable {
        case pending, approved, rejected
    }

    /// What an approval grants: membership only (`viewer`, `member`), or a role too.
    enum Grant: String, Codable, Sendable, CaseIterable, ChoiceDecodable {
        case viewer, writer, admin, member

        /// The role assigned at the AAI after the group membership, if any (upstream assigns
        /// one for writer and admin only; a viewer is a plain member).
        var assignedRole: String? { self == .writer || self == .admin ? rawValue : nil }
    }

    var id: String
    var userSub: String
    var username: String
    var email: String?
    var status: Status
    var justification: String?
    var createdAt: String
    var decidedAt: String?
    var decidedBySub: String?
    var decidedByUsername: String?
    var grantType: Grant?
    var decisionNotes: String?
    /// Beyond upstream: why the last approval failed at the AAI (the request stays pending).
    var lastError: String?

    enum CodingKeys: String, CodingKey {
        case id, username, email, status, justification
        case userSub = "user_sub"
        case createdAt = "created_at"
        case decidedAt = "decided_at"
        case decidedBySub = "decided_by_sub"
        case decidedByUsername = "decided_by_username"
        case grantType = "grant_type"
        case decisionNotes = "decision_notes"
        case lastError = "last_error"
    }

    /// Every field, nulls included, as upstream's model answers.
    var json: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return [
            "id": .string(id), "user_sub": .string(userSub), "username": .string(username), "email": text(email),
            "status": .string(status.rawValue), "justification": text(justification), "created_at": .string(createdAt),
            "decided_at": text(decidedAt), "decided_by_sub": text(decidedBySub), "decided_by_username": text(decidedByUsername),
            "grant_type": text(grantType?.rawValue), "decision_notes": text(decisionNotes), "last_error": text(lastError),
        ]
    }

    func encoded() throws -> String { String(decoding: try WireJSON.encode(self), as: UTF8.self) }

    static func decoded(_ text: String) throws -> AccessRequest { try WireJSON.decode(AccessRequest.self, from: Array(text.utf8)) }
}

/// What deciding or filing an access request may run into.
enum AccessRequestError: Error, APIErrorConvertible, Equatable {
    case pendingExists
    case notFound
    case notPending(AccessRequest.Status)

    var apiError: APIError {
        switch self {
        case .pendingExists: APIError(.conflict, detail: "You already have a pending access request.")
        case .notFound: APIError(.notFound, detail: "Access request not found.")
        case .notPending(let status): APIError(.conflict, detail: "Access request is not pending (it is \(status.rawValue)).")
        }
    }
}
