import Crypto
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// `/user/*` routes, for members (the endpoint gate). For now `GET /user/info`: the IdP
/// object plus `ndp_user_id` and `effective_role`.
struct UserRoutes: Sendable {
    let tiers: RoleTiers

    var collection: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("user/info") { _, context in info(try context.requireIdentity()) }
        return routes
    }

    func info(_ user: UserIdentity) -> JSONValue {
        var body = user.attributes
        if body["ndp_user_id"] == nil { body["ndp_user_id"] = .string(Self.userID(sub: user.sub)) }
        if body["effective_role"] == nil { body["effective_role"] = .string(tiers.tier(for: user).description) }
        return .object(body)
    }

    /// First 16 hex characters of SHA-256(sub), as upstream stores on catalog objects.
    static func userID(sub: String) -> String {
        SHA256.hash(data: Array(sub.utf8)).prefix(8).hexString
    }

    static let operations: [OpenAPIDocument.Operation] = [
        .init(
            "GET", "/user/info", summary: "The caller's identity with ndp_user_id and effective_role.", tags: ["user"],
            security: .bearer,
            responses: [
                200: .init("User object", schema: OpenAPIDocument.anyObject),
                401: .init("Missing or invalid token", schema: OpenAPIDocument.errorDetail),
                403: .init("Outside the allowed groups", schema: OpenAPIDocument.errorDetail),
                502: .init("Identity provider failure", schema: OpenAPIDocument.errorDetail),
            ]
        )
    ]
}
