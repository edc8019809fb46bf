import AccessPolicy
import Crypto
import Essentials
import Foundation
import Identity

/// An organization of the local catalog (docs/specs/ndp-ep.md §2.5): what datasets belong to.
struct CatalogOrganization: Sendable, Equatable {
    var id: String
    /// Unique; what clients and `owner_org` use.
    var name: String
    var title: String
    var description: String
    /// Who created it, as upstream records it (§2.15); nil for the `services` organization the
    /// endpoint makes itself.
    var creator: CreatorStamp?
    var created: Date

    /// What the access policy decides on: organizations are public, their creator recorded.
    var policyObject: PolicyObject { PolicyObject(mode: .public, id: name, creator: creator?.userID) }
}

/// `ndp_user_id` (first 16 hex of SHA-256 of `sub`) and `ndp_creator_md5` (MD5 of `sub`), the
/// marks upstream puts on everything a user creates (docs/specs/ndp-ep.md §2.15).
struct CreatorStamp: Sendable, Equatable {
    var userID: String
    var md5: String

    init(userID: String, md5: String) {
        self.userID = userID
        self.md5 = md5
    }

    init(_ user: UserIdentity) {
        self.userID = user.ndpUserID
        self.md5 = Insecure.MD5.hash(data: Array(user.sub.utf8)).hexString
    }
}

/// What `POST /organization` asks for.
struct NewOrganization: Sendable {
    var name: String
    var title: String
    var description: String
    var creator: CreatorStamp?
}
